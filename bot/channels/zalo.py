"""The Zalo channel (Zalo Bot Platform): long polling by default, webhook when ``ZALO_WEBHOOK_URL`` is set.

Thin by design: it translates Zalo events into :class:`~bot.messages.Incoming`, hands
them to ``app.dispatcher`` and sends the replies through ``app.outbox`` (the one
rate-limited path), rendered for what Zalo can show: plain text of at most 2,000
characters, no buttons — choices become numbered lines, answered by number or by
label (the dispatcher resolves both against the last choices it offered); see
:func:`render` for when they are listed as words or commands instead.

Every event is claimed in the database by its ``message_id`` before it is processed
(``store.claim_update``), in both modes, so a re-delivered event runs once.  Events of
one chat are processed in arrival order; different chats concurrently.

Webhook requests are answered 200 only after the event was processed (or found to be
a replay); the secret header is compared in constant time, the body must be JSON and
is size-limited.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import mimetypes
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.channels.zalo_client import (
    IMAGE,
    MAX_TEXT,
    STICKER,
    TEXT,
    FileTooLarge,
    UpdateFormatError,
    ZaloApiError,
    ZaloClient,
    ZaloError,
    ZaloNetworkError,
    ZaloUpdate,
    parse_update,
)
from bot.config import ConfigError
from bot.durable import runtime as durable_runtime
from bot.durable.codec import register_reply_type
from bot.durable.inbox import KeyTooLong
from bot.http import BadBody, read_json
from bot.messages import Attachment, Incoming, Outgoing, Reply
from bot.outbox import PermanentSendError, RateLimit, RecipientBlocked, RetryAfter, TransientSendError
from bot.sanitize import clean_incoming

if TYPE_CHECKING:
    from bot.http import WebServer

log = logging.getLogger(__name__)

CHANNEL = "zalo"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_WEBHOOK_BODY = 256 * 1024  # a Zalo event is a few hundred bytes; text is at most 2,000 characters
POLL_TIMEOUT = 30  # seconds a getUpdates call may wait (the platform's default)
# Zalo documents no per-chat limit; 5 per second keeps a multi-part reply quick without bursting.
PER_CHAT_BURST = 5
PER_CHAT_WINDOW = 1.0

UNSUPPORTED_TEXT = (
    "Xin lỗi, hiện tôi chỉ hiểu tin nhắn chữ và hình ảnh. "
    "Bạn hãy gõ câu hỏi hoặc lệnh (ví dụ: báo cáo, trạng thái), hoặc gõ «trợ giúp» để xem hướng dẫn."
)
CHOICE_HEADER = "Chọn một (gõ số thứ tự hoặc nội dung):"
# When the next input is free text (a typed number is an answer, not a choice number), choices are words.
CHOICE_WORDS_HEADER = "Hoặc gõ đúng một trong các lựa chọn:"
CHOICE_COMMAND_HEADER = "Gõ lệnh tương ứng:"
ERROR_TEXT = "Xin lỗi, đã có lỗi khi xử lý tin nhắn. Vui lòng thử lại sau ít phút."
IMAGE_FAILED_TEXT = "Không tải được ảnh bạn gửi từ Zalo. Vui lòng gửi lại ảnh."
FILE_NOT_SENT_TEXT = (
    "(Tệp «{name}» không gửi được qua Zalo; vui lòng dùng Telegram hoặc nhờ quản trị viên gửi tệp.)"
)


# --------------------------------------------------------------------------- rendering
def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` characters, at paragraph, then line, then word
    boundaries; a single word longer than the limit is cut hard."""
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        return []
    parts = _split(text, limit, ("\n\n", "\n", " "))
    return [p.strip() for p in parts if p.strip()]


def _split(text: str, limit: int, seps: tuple[str, ...]) -> list[str]:
    if len(text) <= limit:
        return [text]
    if not seps:
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    sep, rest = seps[0], seps[1:]
    out: list[str] = []
    current = ""
    for piece in text.split(sep):
        candidate = piece if not current else current + sep + piece
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
        if len(piece) <= limit:
            current = piece
        else:
            sub = _split(piece, limit, rest)
            out.extend(sub[:-1])
            current = sub[-1]
    if current:
        out.append(current)
    return out


NUMBERED, WORDS = "numbered", "words"


@register_reply_type
@dataclass(slots=True)
class ZaloReply(Reply):
    """A reply to the user's own message, with how its choices can be answered.

    ``numbered``: the dispatcher recorded these choices, a typed number or label picks one.
    ``words``: the next input is free text (a number would be an answer): type the label.
    A plain :class:`Reply` reaching the sender was sent on the bot's own initiative
    (broadcast, notification, reminder): the dispatcher did not record its choices, so a
    choice that runs a command is shown as the command to type.
    """

    style: str = NUMBERED


def render(reply: Reply, limit: int = MAX_TEXT) -> list[str]:
    """The texts one reply becomes on Zalo (plain text; choices as numbered lines or words to type)."""
    parts = split_text(reply.text, limit)
    extra: list[str] = []
    if reply.choices:
        style = getattr(reply, "style", None)
        if style == NUMBERED:
            lines = [f"{i}. {c.label}" for i, c in enumerate(reply.choices, 1)]
            extra.append(CHOICE_HEADER + "\n" + "\n".join(lines))
        elif style == WORDS:
            extra.append(CHOICE_WORDS_HEADER + "\n" + "\n".join(f"- {c.label}" for c in reply.choices))
        else:
            lines = [
                f"- {c.label}: {c.value}" if c.value.startswith("/") else f"- {c.label}"
                for c in reply.choices
            ]
            header = (
                CHOICE_COMMAND_HEADER
                if all(c.value.startswith("/") for c in reply.choices)
                else (CHOICE_WORDS_HEADER)
            )
            extra.append(header + "\n" + "\n".join(lines))
    extra.extend(FILE_NOT_SENT_TEXT.format(name=f.filename) for f in reply.files)
    for block in extra:
        block = unicodedata.normalize("NFC", block)
        if parts and len(parts[-1]) + 2 + len(block) <= limit:
            parts[-1] = parts[-1] + "\n\n" + block
        else:
            parts.extend(split_text(block, limit))
    return parts


# --------------------------------------------------------------------------- sending
class ZaloSender:
    """The outbox's sender for Zalo: one reply = one or more ``sendMessage`` calls.

    When a multi-part reply fails half-way (429, network), the outbox retries the same
    :class:`Reply`; the parts already delivered are remembered so nothing is sent twice.
    """

    channel = CHANNEL

    def __init__(self, client: ZaloClient, max_progress: int = 10_000) -> None:
        self.client = client
        self._progress: OrderedDict[tuple[str, int], tuple[Reply, int]] = OrderedDict()
        self._max_progress = max_progress

    async def send(self, chat_id: str, reply: Reply) -> None:
        parts = render(reply)
        key = (chat_id, id(reply))
        _, done = self._progress.get(key, (reply, 0))
        try:
            for i in range(done, len(parts)):
                await self._send_one(chat_id, parts[i])
                done = i + 1
        except (RetryAfter, TransientSendError) as exc:
            exc.partial = done > 0  # an earlier part of this reply was delivered
            self._progress[key] = (reply, done)  # holding the reply keeps its id from being reused
            self._progress.move_to_end(key)
            while len(self._progress) > self._max_progress:
                self._progress.popitem(last=False)
            raise
        self._progress.pop(key, None)

    async def _send_one(self, chat_id: str, text: str) -> None:
        try:
            await self.client.send_message(chat_id, text)
        except ZaloApiError as exc:
            raise map_error(exc) from None
        except ZaloNetworkError as exc:
            raise TransientSendError(str(exc), undelivered=_not_sent(str(exc))) from None


_AMBIGUOUS = (
    "ReadTimeout",
    "WriteTimeout",
    "PoolTimeout",
    "ReadError",
    "RemoteProtocolError",
    "TimeoutException",
)


def _not_sent(description: str) -> bool:
    """A 5xx answer or a refused connection proves non-delivery; a timeout mid-request does not."""
    return not any(marker in description for marker in _AMBIGUOUS)


def map_error(exc: ZaloApiError) -> Exception:
    """Zalo API errors → the outbox's error kinds."""
    code = exc.error_code
    if code == 429:
        return RetryAfter(exc.retry_after or 1.0)
    if code == 403:
        return RecipientBlocked(exc.description or "forbidden")
    if code >= 500 or code == 408:  # the API answered: this call delivered nothing
        return TransientSendError(f"{code} {exc.description}", undelivered=True)
    return PermanentSendError(f"{code} {exc.description}")


# --------------------------------------------------------------------------- ordering
class _ChatLocks:
    """One lock per chat, created on demand and dropped when idle: events of a chat run in order."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def run(self, chat_id: str, fn: Callable[[], Awaitable[None]]) -> None:
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                await fn()
        finally:
            lock, users = self._locks[chat_id]
            if users <= 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)


def _sniff_image(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


# --------------------------------------------------------------------------- the adapter
class ZaloAdapter:
    """Receives Zalo events (long polling or webhook) and feeds them to the dispatcher."""

    channel = CHANNEL

    def __init__(
        self,
        app: Any,
        client: ZaloClient,
        *,
        webhook_url: str = "",
        webhook_secret: str = "",
        poll_timeout: int = POLL_TIMEOUT,
        max_backoff: float = 30.0,
        max_body: int = MAX_WEBHOOK_BODY,
    ) -> None:
        self.app = app
        self.client = client
        self.webhook_url = webhook_url
        self._secret = webhook_secret.encode("utf-8")
        self.poll_timeout = poll_timeout
        self.max_backoff = max_backoff
        self.max_body = max_body
        self._locks = _ChatLocks()
        self._poll_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.processed = 0  # events handed to the dispatcher (replays excluded)
        self.duplicates = 0
        self.completed = 0  # events finished, whatever the outcome (tests and health checks wait on it)
        self._completed_event = asyncio.Event()
        self.durable = durable_runtime(app)
        self.durable.register(CHANNEL, self.process_payload, self._delivered)

    @property
    def mode(self) -> str:
        return "webhook" if self.webhook_url else "polling"

    # ------------------------------------------------------------------ lifecycle
    async def start(self, web_server: WebServer | None) -> None:
        try:
            me = await self.client.get_me()
            name = (me.get("account_name") or me.get("id")) if isinstance(me, dict) else None
            log.info("Zalo: bot %s", name or "?")
        except ZaloApiError as exc:
            if exc.error_code in (401, 403, 404):
                raise ConfigError(f"ZALO_BOT_TOKEN không hợp lệ (Zalo trả lời {exc.error_code}).") from None
            log.warning("Zalo: getMe thất bại (%s); vẫn tiếp tục.", exc)
        except ZaloNetworkError as exc:
            log.warning("Zalo: chưa kết nối được API (%s); sẽ thử lại.", exc)

        from bot.durable import inbox

        with contextlib.suppress(Exception):  # housekeeping only: ids older than a week cannot come back
            await asyncio.to_thread(inbox.prune, self.app.engine)
        if self.webhook_url:
            if web_server is None:
                raise ConfigError(
                    "Chế độ webhook Zalo cần máy chủ HTTP của bot (đặt WEBHOOK_LISTEN=host:port)."
                )
            await self.durable.start()
            web_server.add_post(urlsplit(self.webhook_url).path or "/", self.handle_webhook)
            web_server.on_listening(self._set_webhook)  # once our port accepts the platform's pushes
            log.info("Zalo: chế độ webhook tại %s", urlsplit(self.webhook_url).path or "/")
        else:
            with contextlib.suppress(ZaloError):
                await self.client.delete_webhook()  # getUpdates does not work while a webhook is set
            await self.durable.start()
            self._poll_task = asyncio.create_task(self._poll_loop(), name="zalo-polling")
            log.info("Zalo: chế độ long polling")

    async def _set_webhook(self) -> None:
        delay = 1.0
        for attempt in range(1, 6):
            try:
                await self.client.set_webhook(self.webhook_url, self._secret.decode("utf-8"))
                return
            except ZaloApiError as exc:
                raise ConfigError(f"Zalo từ chối setWebhook: {exc.description} ({exc.error_code}).") from None
            except ZaloNetworkError as exc:
                if attempt == 5:
                    raise ConfigError(f"Không gọi được setWebhook của Zalo ({exc}).") from None
                log.warning("Zalo: setWebhook thất bại (%s), thử lại sau %.0fs", exc, delay)
                await asyncio.sleep(delay)
                delay *= 2

    async def stop_receiving(self) -> None:
        """SIGTERM, first step: no more getUpdates (the webhook is refused by the HTTP server)."""
        self._stopping = True
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll_task
            self._poll_task = None
        if self._tasks:  # updates received but not yet written to the inbox
            await asyncio.wait(set(self._tasks), timeout=5.0)

    async def stop(self, grace: float | None = None) -> None:
        await self.stop_receiving()
        try:
            await self.durable.release(grace)  # the last user drains the inbox and the outbox
        finally:
            await self.client.aclose()

    # ------------------------------------------------------------------ polling
    async def _poll_loop(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                update = await self.client.get_updates(timeout=self.poll_timeout)
            except asyncio.CancelledError:
                raise
            except UpdateFormatError as exc:
                log.warning("Zalo: bỏ qua một sự kiện không đúng định dạng (%s)", exc)
                continue
            except (ZaloError, Exception) as exc:  # never let the loop die
                failures += 1
                delay = min(self.max_backoff, 0.5 * 2 ** min(failures - 1, 10))
                if failures == 1 or failures % 20 == 0:
                    log.warning("Zalo: getUpdates lỗi (%s), lần %d; thử lại sau %.1fs", exc, failures, delay)
                await asyncio.sleep(delay)
                continue
            if failures:
                log.info("Zalo: getUpdates hoạt động lại sau %d lỗi", failures)
                failures = 0
            if update is not None:
                await self._accept_polled(update)

    async def _accept_polled(self, update: ZaloUpdate) -> None:
        """Zalo's getUpdates has no acknowledgement: the update is the bot's from the moment the
        answer arrived.  It is written to the inbox at once, retried while the database is away."""
        delay = 0.2
        for _attempt in range(50):
            try:
                await self.accept(update)
                return
            except KeyTooLong:
                log.warning("Zalo: bỏ qua sự kiện có mã quá dài")
                return
            except Exception as exc:
                log.warning("Zalo: chưa ghi được sự kiện %s vào hộp thư (%s)", update.message_id, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        log.error("Zalo: mất sự kiện %s: không ghi được vào cơ sở dữ liệu", update.message_id)

    async def accept(self, update: ZaloUpdate) -> bool:
        """Write the event to the inbox (committed on return); False for a re-delivered one."""
        payload = dict(update.raw) if update.raw else {"message": {}}
        fresh = await self.durable.accept(CHANNEL, update.message_id, f"{CHANNEL}:{update.user_id}", payload)
        if not fresh:
            self.duplicates += 1
            log.debug("Zalo: sự kiện %s đã nhận, bỏ qua", update.message_id)
            self._mark_completed()
        return fresh

    def _delivered(self, _update_key: str) -> None:
        self._mark_completed()

    def _mark_completed(self) -> None:
        self.completed += 1
        self._completed_event.set()

    # ------------------------------------------------------------------ webhook
    async def handle_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return _json_error(401, "missing secret token")
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), self._secret):
            return _json_error(403, "invalid secret token")
        if request.content_type != "application/json":
            return _json_error(415, "content type must be application/json")
        try:
            update = parse_update(await read_json(request, self.max_body))
        except BadBody as exc:
            return _json_error(exc.status, exc.description)
        except UpdateFormatError as exc:
            return _json_error(400, f"not a Zalo update: {exc}")
        try:
            await self.accept(update)
        except KeyTooLong:
            return _json_error(400, "message_id too long")
        except Exception:
            # Not stored: 503, so that the platform may deliver it again.
            log.exception("Zalo: lỗi khi ghi nhận sự kiện %s", update.message_id)
            return _json_error(503, "temporarily unavailable")
        return web.json_response({"ok": True})

    # ------------------------------------------------------------------ processing
    async def process_payload(self, payload: dict[str, Any]) -> None:
        """An inbox row, in a durable turn (bot.durable): translate, dispatch, queue the replies."""
        await self.process(parse_update(payload))

    async def process(self, update: ZaloUpdate) -> None:
        """Translate the event, dispatch it and send the replies; every error is logged and the
        user is told, in Vietnamese, that something went wrong."""
        await self._process(update)

    async def wait_completed(self, count: int, timeout: float = 10.0) -> None:
        """Wait until ``count`` events in total have been finished."""
        async with asyncio.timeout(timeout):
            while self.completed < count:
                self._completed_event.clear()
                await self._completed_event.wait()

    async def _process(self, update: ZaloUpdate) -> None:
        self.processed += 1
        user_key = f"{CHANNEL}:{update.user_id}"
        try:
            translated = await self.to_incoming(update)
            if isinstance(translated, Reply):
                replies = [translated]
            else:
                replies = await self.app.dispatcher.handle(translated)
                # The dispatcher says whether a typed number picks a choice (Reply.numbered): while a
                # free-text or number field is asked, "1" is an answer, so choices are listed as words.
                style = NUMBERED if all(r.numbered for r in replies if r.choices) else WORDS
                replies = [ZaloReply(r.text, r.choices, r.files, style=style) for r in replies]
        except Exception:
            log.exception("Zalo: lỗi khi xử lý tin nhắn %s", update.message_id)
            replies = [Reply(ERROR_TEXT)]
        for reply in replies:
            await self.app.outbox.send(Outgoing(CHANNEL, update.chat_id, reply, user_key))

    async def to_incoming(self, update: ZaloUpdate) -> Incoming | Reply:
        """The core message for an event, or the reply to give directly (sticker, bad image)."""
        base: dict[str, Any] = {
            "channel": CHANNEL,
            "user_id": update.user_id,
            "chat_id": update.chat_id,
            "display_name": update.display_name,
            "message_id": update.message_id,
        }
        if update.event_name == TEXT and update.text is not None:
            return clean_incoming(Incoming(text=update.text, **base))
        if update.event_name == IMAGE and update.photo_url:
            limit = self.app.settings.max_attachment_bytes
            try:
                data, ctype = await self.client.download(update.photo_url, limit)
            except FileTooLarge:
                mb = limit / (1024 * 1024)
                return Reply(f"Ảnh quá lớn: tối đa {mb:g} MB. Vui lòng gửi ảnh nhỏ hơn.")
            except ZaloError as exc:
                log.warning("Zalo: không tải được ảnh của %s: %s", update.message_id, exc)
                return Reply(IMAGE_FAILED_TEXT)
            if not data:
                return Reply(IMAGE_FAILED_TEXT)
            mime = ctype if ctype.startswith("image/") else (_sniff_image(data) or "image/jpeg")
            ext = mimetypes.guess_extension(mime) or ".jpg"
            attachment = Attachment(f"zalo-{update.message_id}{ext}", data, mime, kind="photo")
            return clean_incoming(Incoming(text=update.caption, attachments=[attachment], **base))
        # Stickers, files, voice, location...: Zalo has more kinds than the bot understands.
        if update.event_name != STICKER:
            log.info("Zalo: sự kiện %s không hỗ trợ", update.event_name)
        return Reply(UNSUPPORTED_TEXT)


def _json_error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)


def build(app: Any) -> ZaloAdapter | None:
    """The Zalo adapter when ``ZALO_BOT_TOKEN`` is set, else ``None``.

    Building registers the Zalo sender in ``app.outbox`` (so reminders and broadcasts
    can reach Zalo users even from a CLI command that never starts receiving).
    """
    settings = app.settings
    if not settings.zalo_token:
        return None
    client = ZaloClient(settings.zalo_token, settings.zalo_api_url)
    limit = RateLimit(rate=settings.zalo_rate, per_chat_burst=PER_CHAT_BURST, per_chat_window=PER_CHAT_WINDOW)
    app.outbox.register(ZaloSender(client), limit)
    return ZaloAdapter(
        app,
        client,
        webhook_url=settings.zalo_webhook_url,
        webhook_secret=settings.zalo_webhook_secret,
    )
