"""The Telegram channel on python-telegram-bot v22: polling or webhook, translated to the core.

``build(app)`` returns a :class:`TelegramAdapter` when ``TELEGRAM_BOT_TOKEN`` is set.
python-telegram-bot is the transport only: its ``Application`` fetches updates (long
polling, or our own webhook route feeding its update queue, as in PTB's
``customwebhookbot`` example) and runs one callback per update; every update
becomes a :class:`~bot.messages.Incoming` for ``app.dispatcher``, and every reply
goes back through ``app.outbox`` (the one rate-limited sending path) via
:class:`~bot.channels.telegram_sender.TelegramSender`.

Behaviour the Bot API needs from a well-mannered bot:

- updates of one user are processed in arrival order, different users concurrently
  (:class:`PerUserUpdateProcessor`); a repeated ``update_id`` is processed once
  (``store.claim_update``, durable, so also across restarts and instances);
- every callback query is answered, first thing; the pressed message is then edited
  to show the chosen label without its keyboard, and a second press on the same
  message is ignored, so old buttons cannot act twice;
- documents and photos are size-checked before download (``getFile``) and handed to
  the core as attachments;
- any failure is logged with its context (update id, user, chat — never the token)
  and the user is told in Vietnamese that something went wrong, without details;
- webhook requests must carry ``X-Telegram-Bot-Api-Secret-Token`` (checked with
  ``hmac.compare_digest``): missing → 401, wrong → 403, and nothing is processed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import mimetypes
from collections import OrderedDict
from collections.abc import Awaitable, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    Message,
    Update,
)
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, TelegramError
from telegram.error import RetryAfter as TgRetryAfter
from telegram.ext import Application, BaseUpdateProcessor

from bot.channels.telegram_render import CallbackTokens, chosen_text, split_reply
from bot.channels.telegram_sender import CHANNEL, TelegramSender, retry_seconds
from bot.config import ConfigError, Settings
from bot.durable import lease
from bot.durable import runtime as durable_runtime
from bot.durable.inbox import KeyTooLong
from bot.http import BadBody, WebServer, read_json
from bot.messages import Attachment, Incoming, Outgoing, Reply
from bot.outbox import RateLimit
from bot.sanitize import clean_incoming

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT = 10  # seconds a getUpdates long poll waits
POLL_LEASE = "telegram:getUpdates"  # one instance per database polls (bot/durable/lease.py)
MAX_WEBHOOK_BODY = 1024 * 1024
ERROR_TEXT = "Xin lỗi, đã có lỗi khi xử lý yêu cầu của bạn. Vui lòng thử lại sau ít phút."
UNSUPPORTED_TEXT = "Xin lỗi, tôi chỉ đọc được tin nhắn chữ, tệp tài liệu và ảnh."
EXPIRED_CHOICE_TEXT = "Lựa chọn này đã hết hạn. Vui lòng gõ lại lệnh (ví dụ /trogiup)."
ALREADY_CHOSEN_TEXT = "Bạn đã chọn mục này rồi."
# About one message a second per chat, bursts of 3: 3 per 3 s as Telegram measures it, plus 0.1 s
# so that network jitter between our clock and the server's never makes a 4th look early.
PER_CHAT_WINDOW = 3.1
TYPING_AFTER = 0.8  # seconds of processing before "typing…" is shown
_COMMAND_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",").removesuffix(",0")


def too_big_text(name: str, size: int, limit: int) -> str:
    return (
        f"Tệp «{name}» quá lớn ({_mb(size)} MB); giới hạn là {_mb(limit)} MB. "
        "Vui lòng gửi tệp nhỏ hơn hoặc nén lại."
    )


def _user_key_of(update: object) -> str:
    if isinstance(update, Update):
        user = update.effective_user
        if user is not None:
            return f"u{user.id}"
        chat = update.effective_chat
        if chat is not None:
            return f"c{chat.id}"
    return ""


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across users, strictly in order for one user.

    PTB starts one task per update in arrival order; each takes its user's lock
    right away (``asyncio.Lock`` is FIFO), so a document still downloading cannot be
    overtaken by the text the same user sent after it.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _user_key_of(update)
        if not key:
            await coroutine
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


class _Bounded:
    """A bounded set of recent keys (pressed choice messages)."""

    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Any, None] = OrderedDict()

    def add(self, key: Any) -> bool:
        """Add ``key``; False if it was already there."""
        if key in self._items:
            return False
        self._items[key] = None
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return True


class TelegramAdapter:
    """The Telegram channel: ``await start(web)`` … ``await stop()``."""

    channel = CHANNEL

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.webhook_url = settings.telegram_webhook_url
        self.secret = settings.telegram_webhook_secret
        root = settings.telegram_api_url.rstrip("/")
        builder = (
            Application.builder()
            .token(settings.telegram_token)
            .base_url(f"{root}/bot")
            .base_file_url(f"{root}/file/bot")
            .concurrent_updates(PerUserUpdateProcessor(64))
            .connection_pool_size(80)
            .pool_timeout(20.0)
            .connect_timeout(10.0)
            .read_timeout(20.0)
            .write_timeout(30.0)
            .get_updates_connection_pool_size(2)
            .get_updates_read_timeout(10.0)
            .job_queue(None)  # scheduling is scheduler.py's job, not PTB's
        )
        # Receiving is ours (bot/durable): updates go to the inbox before Telegram is told we have them
        # (the next getUpdates offset, or the webhook's 200), so PTB's Updater and handlers are not used.
        builder = builder.updater(None)
        self.application: Application = builder.build()
        self.durable = durable_runtime(app)
        self.durable.register(CHANNEL, self.process, self._delivered)
        self._poll_task: asyncio.Task[None] | None = None
        self._offset = 0
        self._confirmed = 0
        self.tokens = CallbackTokens()
        self.sender = TelegramSender(self.application.bot, self.tokens, rate=settings.telegram_rate)
        self._pressed = _Bounded()
        self._admin_commands: list[BotCommand] = []
        self._admin_menu_done: set[int] = set()
        self._sending = False
        self._receiving = False
        self._done: set[int] = set()
        self._done_changed = asyncio.Condition()
        self.stats = {"updates": 0, "duplicates": 0, "errors": 0}

    @property
    def bot(self) -> Bot:
        return self.application.bot

    @property
    def mode(self) -> str:
        return "webhook" if self.webhook_url else "polling"

    # ---------------------------------------------------------------- start
    async def start_sending(self) -> None:
        """Only the sending side: check the token, register the sender with the outbox.

        Enough for ``directive-bot reminders run-due``, which sends without receiving.
        """
        if self._sending:
            return
        await self._initialize()
        self.app.outbox.register(
            self.sender,
            RateLimit(rate=self.settings.telegram_rate, per_chat_burst=3, per_chat_window=PER_CHAT_WINDOW),
        )
        self._sending = True
        me = self.bot.bot
        log.info("Telegram: đăng nhập với bot @%s (id %s)", me.username, me.id)

    connect_attempts = 5  # getMe tries at start-up (1, 2, 4, 8 s apart) before giving up

    async def _initialize(self) -> None:
        attempts = max(1, self.connect_attempts)
        delay = 1.0
        for attempt in range(1, attempts + 1):
            try:
                await self.application.initialize()  # calls getMe
                return
            except InvalidToken:
                raise ConfigError(
                    "TELEGRAM_BOT_TOKEN bị Telegram Bot API từ chối (401 Unauthorized): kiểm tra lại token."
                ) from None
            except NetworkError as exc:
                if attempt == attempts:
                    raise ConfigError(
                        f"Không kết nối được Telegram Bot API tại {self.settings.telegram_api_url}: {exc}"
                    ) from None
                log.warning("Telegram: chưa kết nối được (%s), thử lại sau %.0f giây", exc, delay)
                await asyncio.sleep(delay)
                delay *= 2

    async def start(self, web_server: WebServer | None) -> None:
        await self.start_sending()
        try:
            await self._start_receiving(web_server)
            await self.durable.start()
        except BaseException:
            await self.stop()
            raise
        self._receiving = True
        await self._set_commands()
        log.info("Telegram: đang nhận tin nhắn (%s)", self.mode)

    async def _start_receiving(self, web_server: WebServer | None) -> None:
        if self.webhook_url:
            if web_server is None:
                raise ConfigError("Chế độ webhook Telegram cần máy chủ HTTP (WEBHOOK_LISTEN).")
            web_server.add_post(urlsplit(self.webhook_url).path or "/", self.handle_webhook)
            web_server.on_listening(self._set_webhook)
        else:
            await self._delete_webhook()
            self._poll_task = asyncio.create_task(self._poll_loop(), name="telegram-polling")

    async def _delete_webhook(self) -> None:
        """getUpdates does not work while a webhook is set (retried on network errors)."""
        for attempt in range(1, 4):
            try:
                await self.bot.delete_webhook(drop_pending_updates=False)
                return
            except NetworkError as exc:
                if attempt == 3:
                    log.warning("Telegram: không xóa được webhook cũ: %s", exc)
                    return
                await asyncio.sleep(attempt)

    # -------------------------------------------------------------- polling
    async def _poll_loop(self) -> None:
        """Long polling into the inbox: an offset is confirmed (the next getUpdates) only after the
        updates below it were committed.  One instance per database polls (a lease); the others
        wait and take over when it stops renewing (it died), instead of fighting with 409s."""
        engine = self.app.engine
        owner = self.durable.owner
        ttl = self.durable.settings.inbox_lease
        poll_timeout = max(1, min(POLL_TIMEOUT, int(ttl / 3)))  # the lease is renewed before each poll
        holding = False
        failures = 0
        while True:
            try:
                got = await asyncio.to_thread(lease.acquire, engine, POLL_LEASE, owner, ttl)
            except Exception as exc:
                log.warning("Telegram: không kiểm tra được quyền nhận cập nhật (%s)", exc)
                got = False
            if got != holding:
                holding = got
                log.info(
                    "Telegram: %s",
                    "instance này nhận cập nhật" if got else "instance khác đang nhận cập nhật",
                )
            if not got:
                await asyncio.sleep(min(5.0, ttl / 4))
                continue
            try:
                updates = await self.bot.get_updates(
                    offset=self._offset or None,
                    timeout=poll_timeout,
                    read_timeout=poll_timeout + 10,
                    allowed_updates=ALLOWED_UPDATES,
                )
                self._confirmed = self._offset
                if updates:
                    await self._accept(updates)
                    self._offset = max(u.update_id for u in updates) + 1
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the loop never dies: network, 409, the database away...
                failures += 1
                if isinstance(exc, TelegramError):
                    self._polling_error(exc)
                else:
                    log.warning("Telegram: chưa ghi được cập nhật vào hộp thư (%s); thử lại", exc)
                await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures - 1, 6)))

    async def _accept(self, updates: Sequence[Update]) -> None:
        items = [(CHANNEL, str(u.update_id), _user_key_of(u) or "?", u.to_dict()) for u in updates]
        fresh = await self.durable.accept_many(items)
        for update, new in zip(updates, fresh, strict=True):
            self.stats["updates"] += 1
            if not new:
                self._duplicate(update)

    def _duplicate(self, update: Update) -> None:
        self.stats["duplicates"] += 1
        log.info("Telegram: bỏ qua cập nhật lặp lại %s", update.update_id)
        if update.callback_query is not None:
            task = asyncio.create_task(self._answer(update.callback_query))
            task.add_done_callback(lambda _t: None)
        self._done_soon(update.update_id)

    def _done_soon(self, update_id: int) -> None:
        asyncio.get_running_loop().create_task(self._mark_done(update_id))

    def _delivered(self, update_key: str) -> None:
        with contextlib.suppress(ValueError):
            self._done_soon(int(update_key))

    async def stop_receiving(self) -> None:
        """SIGTERM, first step: no more getUpdates; confirm what the inbox holds; give the lease up."""
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poll_task
            self._poll_task = None
            if self._offset and self._offset != self._confirmed:
                with contextlib.suppress(TelegramError, Exception):
                    await self.bot.get_updates(
                        offset=self._offset, timeout=0, limit=1, allowed_updates=ALLOWED_UPDATES
                    )
                    self._confirmed = self._offset
            with contextlib.suppress(Exception):
                await asyncio.to_thread(lease.release, self.app.engine, POLL_LEASE, self.durable.owner)
        self._receiving = False

    async def _set_webhook(self) -> None:
        """Call setWebhook; registered to run once our HTTP server accepts connections."""
        for attempt in range(1, 6):
            try:
                await self.bot.set_webhook(
                    url=self.webhook_url,
                    secret_token=self.secret,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=False,
                    max_connections=40,
                )
                log.info("Telegram: đã đặt webhook tại đường dẫn %s", urlsplit(self.webhook_url).path or "/")
                return
            except NetworkError as exc:  # BadRequest included: a wrong URL is worth a clear log
                if isinstance(exc, BadRequest) or attempt == 5:
                    log.error(
                        "Telegram: không đặt được webhook (đường dẫn %s): %s",
                        urlsplit(self.webhook_url).path or "/",
                        exc,
                    )
                    return
                await asyncio.sleep(attempt)

    async def _set_commands(self) -> None:
        """The command menu from the routers' metadata: public commands for all, everything for admins."""
        specs = getattr(self.app.dispatcher, "command_specs", [])
        public: list[BotCommand] = []
        every: list[BotCommand] = []
        for spec in specs:
            name = spec.name.lower()
            if not spec.menu or not spec.description or not set(name) <= _COMMAND_CHARS or len(name) > 32:
                continue
            cmd = BotCommand(name, spec.description.strip()[:256])
            every.append(cmd)
            if not spec.admin:
                public.append(cmd)
        try:
            await self.bot.set_my_commands(public[:100])
        except TelegramError as exc:
            log.warning("Telegram: không đặt được menu lệnh: %s", exc)
        self._admin_commands = every if every != public else []

    async def _admin_menu(self, user_id: int) -> None:
        """Give an admin the full menu in their chat, once per run (their chat exists: they wrote)."""
        if not self._admin_commands or user_id in self._admin_menu_done:
            return
        if not self.settings.is_admin(f"{CHANNEL}:{user_id}"):
            return
        self._admin_menu_done.add(user_id)
        try:
            await self.bot.set_my_commands(self._admin_commands[:100], scope=BotCommandScopeChat(user_id))
        except TelegramError as exc:
            log.info("Telegram: chưa đặt được menu quản trị cho %s: %s", user_id, exc)

    def _polling_error(self, exc: TelegramError) -> None:
        if isinstance(exc, Conflict):
            log.error("Telegram: một tiến trình khác đang nhận cập nhật với cùng token (%s)", exc)
        elif isinstance(exc, NetworkError):
            log.warning("Telegram: lỗi mạng khi nhận cập nhật, đang thử lại: %s", exc)
        else:
            log.error("Telegram: lỗi khi nhận cập nhật: %s", exc)

    # ----------------------------------------------------------------- stop
    async def stop(self) -> None:
        """Stop fetching, finish the updates taken and send their replies (durable runtime), close."""
        try:
            await self.stop_receiving()
            await self.durable.release()
        finally:
            self._receiving = False
            if self._sending:
                await self.application.shutdown()
                self._sending = False
        log.info("Telegram: đã dừng")

    # -------------------------------------------------------------- webhook
    async def handle_webhook(self, request: web.Request) -> web.StreamResponse:
        """POST from Telegram: check the secret, write the update to the inbox, then answer 200."""
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            log.warning("Telegram webhook: yêu cầu thiếu secret từ %s", request.remote)
            return web.json_response({"ok": False, "description": "missing secret token"}, status=401)
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), self.secret.encode("utf-8")):
            log.warning("Telegram webhook: secret sai từ %s", request.remote)
            return web.json_response({"ok": False, "description": "wrong secret token"}, status=403)
        if request.content_type != "application/json":
            return web.json_response({"ok": False, "description": "JSON expected"}, status=415)
        try:
            data = await read_json(request, MAX_WEBHOOK_BODY)
        except BadBody as exc:
            return web.json_response({"ok": False, "description": exc.description}, status=exc.status)
        update = parse_update(data, self.bot)
        if update is None:
            return web.json_response({"ok": False, "description": "not a Telegram update"}, status=400)
        try:
            (fresh,) = await self.durable.accept_many(
                [(CHANNEL, str(update.update_id), _user_key_of(update) or "?", data)]
            )
        except KeyTooLong:
            return web.json_response({"ok": False, "description": "update id too long"}, status=400)
        except Exception:  # not stored: 503, Telegram delivers it again
            log.exception("Telegram webhook: không ghi được cập nhật %s", update.update_id)
            return web.json_response({"ok": False, "description": "temporarily unavailable"}, status=503)
        self.stats["updates"] += 1
        if not fresh:
            self._duplicate(update)
        return web.json_response({"ok": True})

    # -------------------------------------------------------------- updates
    async def process(self, payload: dict[str, Any]) -> None:
        """An inbox row (an update as Telegram sent it), in a durable turn: replies are queued."""
        update = Update.de_json(payload, self.bot)
        await self._on_update(update, None)

    async def _on_update(self, update: Update, _context: object) -> None:
        try:
            if update.callback_query is not None:
                await self._on_callback(update, update.callback_query)
            elif update.message is not None:
                await self._on_message(update, update.message)
        except Exception as exc:
            await self._report_error(update, exc)

    async def _on_message(self, update: Update, message: Message) -> None:
        user = message.from_user
        if user is None or user.is_bot:
            return
        chat_id = str(message.chat_id)
        user_key = f"{CHANNEL}:{user.id}"
        if message.chat.type == "private":
            await self._admin_menu(user.id)
        text = message.text if message.text is not None else message.caption
        attachments: list[Attachment] = []
        if message.document is not None or message.photo:
            attachment = await self._download(message, chat_id, user_key)
            if attachment is None:
                return
            attachments.append(attachment)
        elif text is None:
            await self._send(chat_id, user_key, [Reply(UNSUPPORTED_TEXT)])
            return
        incoming = Incoming(
            channel=CHANNEL,
            user_id=str(user.id),
            chat_id=chat_id,
            text=text,
            display_name=user.full_name,
            attachments=attachments,
            message_id=str(update.update_id),
        )
        await self._dispatch(clean_incoming(incoming))

    async def _download(self, message: Message, chat_id: str, user_key: str) -> Attachment | None:
        """Fetch the document or the largest photo that fits; tell the user when it is too big."""
        limit = self.settings.max_attachment_bytes
        if message.document is not None:
            doc = message.document
            name = doc.file_name or f"tep_{doc.file_unique_id}"
            mime = doc.mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
            file_id, size, kind = doc.file_id, doc.file_size, "document"
        else:
            sizes = sorted(message.photo, key=lambda p: p.file_size or p.width * p.height)
            fitting = [p for p in sizes if p.file_size is None or p.file_size <= limit]
            best = fitting[-1] if fitting else sizes[-1]
            name, mime = f"anh_{best.file_unique_id}.jpg", "image/jpeg"
            file_id, size, kind = best.file_id, best.file_size, "photo"
        if size is not None and size > limit:
            await self._send(chat_id, user_key, [Reply(too_big_text(name, size, limit))])
            return None
        try:
            tg_file = await self.bot.get_file(file_id)
            data = bytes(await tg_file.download_as_bytearray())
        except BadRequest as exc:
            if "too big" in str(exc).lower():
                await self._send(chat_id, user_key, [Reply(too_big_text(name, size or limit + 1, limit))])
                return None
            raise
        if len(data) > limit:
            await self._send(chat_id, user_key, [Reply(too_big_text(name, len(data), limit))])
            return None
        return Attachment(filename=name, data=data, mime_type=mime, kind=kind)

    async def _on_callback(self, update: Update, query: CallbackQuery) -> None:
        answered = False
        try:
            user = query.from_user
            message = query.message
            chat_id = str(message.chat.id if message is not None else user.id)
            user_key = f"{CHANNEL}:{user.id}"
            if message is not None and not self._pressed.add((chat_id, message.message_id)):
                answered = await self._answer(query, ALREADY_CHOSEN_TEXT)
                return
            answered = await self._answer(query)
            value = self.tokens.resolve(query.data or "")
            if value is None:
                await self._send(chat_id, user_key, [Reply(EXPIRED_CHOICE_TEXT)])
                return
            if isinstance(message, Message):
                await self._close_keyboard(message, query.data or "")
            incoming = Incoming(
                channel=CHANNEL,
                user_id=str(user.id),
                chat_id=chat_id,
                choice=value,
                display_name=user.full_name,
                message_id=str(update.update_id),
            )
            await self._dispatch(clean_incoming(incoming))
        finally:
            if not answered:
                await self._answer(query)

    async def _answer(self, query: CallbackQuery, text: str | None = None) -> bool:
        """Answer a callback query (stops the button's spinner); never raises."""
        try:
            await query.answer(text=text)
            return True
        except TelegramError as exc:
            level = logging.INFO if "too old" in str(exc).lower() else logging.WARNING
            log.log(level, "Telegram: không trả lời được callback query %s: %s", query.id, exc)
            return False

    async def _close_keyboard(self, message: Message, data: str) -> None:
        """Edit the choice message: show what was chosen, remove the buttons (best effort)."""
        label = ""
        markup = message.reply_markup
        if markup is not None:
            for row in markup.inline_keyboard:
                for button in row:
                    if button.callback_data == data:
                        label = button.text
        new_text = chosen_text(message.text_html, label) if (message.text and label) else None
        for attempt in range(3):
            try:
                if new_text is not None:
                    await message.edit_text(new_text, parse_mode="HTML", reply_markup=None)
                else:
                    await message.edit_reply_markup(reply_markup=None)
                return
            except TelegramError as exc:
                if isinstance(exc, TgRetryAfter) and attempt < 2:
                    await asyncio.sleep(retry_seconds(exc))
                    continue
                if "not modified" not in str(exc).lower():
                    log.warning("Telegram: không sửa được tin nhắn lựa chọn %s: %s", message.message_id, exc)
                return

    async def _dispatch(self, incoming: Incoming) -> None:
        typing = asyncio.create_task(self._typing_later(incoming.chat_id))
        try:
            replies = await self.app.dispatcher.handle(incoming)
        finally:
            typing.cancel()
        await self._send(incoming.chat_id, incoming.user_key, replies)

    async def _typing_later(self, chat_id: str) -> None:
        await asyncio.sleep(TYPING_AFTER)
        with contextlib.suppress(TelegramError):
            await self.bot.send_chat_action(chat_id, "typing")

    async def _send(self, chat_id: str, user_key: str, replies: list[Reply]) -> None:
        """Each reply, cut into one-call pieces, through the outbox; stop if the user blocked us."""
        for reply in replies:
            for piece in split_reply(reply):
                result = await self.app.outbox.send(Outgoing(CHANNEL, chat_id, piece, user_key))
                if result.status == "blocked":
                    return
                if not result.ok:
                    log.error("Telegram: không gửi được tin tới %s: %s", user_key or chat_id, result.error)

    async def _report_error(self, update: Update, exc: BaseException) -> None:
        """Log with context; tell the user, without details, that something went wrong."""
        self.stats["errors"] += 1
        user = update.effective_user
        chat = update.effective_chat
        log.error(
            "Telegram: lỗi khi xử lý cập nhật %s (người dùng %s, chat %s): %r",
            update.update_id,
            user.id if user else "?",
            chat.id if chat else "?",
            exc,
            exc_info=exc,
        )
        if chat is None:
            return
        key = f"{CHANNEL}:{user.id}" if user else ""
        try:
            await self.app.outbox.send(Outgoing(CHANNEL, str(chat.id), Reply(ERROR_TEXT), key))
        except Exception:  # the error path itself must never raise
            log.exception("Telegram: không báo lỗi được cho chat %s", chat.id)

    # ------------------------------------------------------------ for tests
    async def _mark_done(self, update_id: int) -> None:
        async with self._done_changed:
            self._done.add(update_id)
            if len(self._done) > 100_000:
                self._done = {update_id}
            self._done_changed.notify_all()

    async def wait_processed(self, *update_ids: int, timeout: float = 20.0) -> None:
        """Wait until these updates were fully handled (replies sent or failed)."""

        async def waiter() -> None:
            async with self._done_changed:
                await self._done_changed.wait_for(lambda: all(u in self._done for u in update_ids))

        await asyncio.wait_for(waiter(), timeout)


_UPDATE_KINDS = ("message", "edited_message", "callback_query", "channel_post", "my_chat_member")


def parse_update(data: Any, bot: Bot) -> Update | None:
    """A Telegram update from a webhook body, or None for anything of the wrong shape (→ 400)."""
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        return None
    if any(k in data and not isinstance(data[k], dict) for k in _UPDATE_KINDS):
        return None
    try:
        return Update.de_json(data, bot)
    except Exception:  # PTB raises KeyError, TypeError, AttributeError... for odd shapes
        return None


def build(app: Any) -> TelegramAdapter | None:
    """The Telegram adapter, or ``None`` when ``TELEGRAM_BOT_TOKEN`` is not set."""
    settings: Settings = app.settings
    if not settings.telegram_token:
        return None
    if settings.telegram_webhook_url and not settings.telegram_webhook_secret:
        raise ConfigError("Chế độ webhook Telegram cần TELEGRAM_WEBHOOK_SECRET.")
    return TelegramAdapter(app, settings)
