"""A strict local Telegram Bot API server (aiohttp) for the tests, also usable by hand.

It implements the methods the bot uses, answers like ``api.telegram.org`` (same
JSON envelope, status codes and error descriptions) and enforces Telegram's rules, so
a bot that passes against it does not trip on the real thing:

- ``{root}/bot<token>/<method>`` with GET query, form-encoded, multipart or JSON
  parameters (method names case-insensitive); a wrong token answers 401, an unknown
  method 404; files under ``{root}/file/bot<token>/<file_path>``;
- ``getMe``, ``getUpdates`` (``offset`` confirms, ``limit``, ``timeout`` long polling,
  ``allowed_updates``; 409 while a webhook is set or when another ``getUpdates``
  takes over), ``setWebhook`` (``url``, ``secret_token`` of 1–256 ``A-Za-z0-9_-``;
  updates are then POSTed there with ``X-Telegram-Bot-Api-Secret-Token`` and
  redelivered until the webhook answers 2xx), ``deleteWebhook``, ``getWebhookInfo``;
- ``sendMessage`` (1–4,096 characters after entity parsing, ``parse_mode`` HTML
  parsed like Telegram — see :mod:`tests.fakes.telegram_html`), ``editMessageText``,
  ``editMessageReplyMarkup`` ("message is not modified" when nothing changes),
  ``answerCallbackQuery`` (unknown, expired or already answered ids → 400),
  ``sendDocument`` / ``sendPhoto`` (multipart upload, caption ≤ 1,024), ``getFile``,
  ``sendChatAction``, ``setMyCommands`` / ``getMyCommands`` / ``deleteMyCommands``;
- inline keyboards: ``callback_data`` of 1–64 bytes (else ``BUTTON_DATA_INVALID``),
  non-empty button text, at most 100 buttons;
- an unknown chat answers 400 "chat not found", a user who never started the bot
  403 "bot can't initiate conversation with a user", a user who blocked it 403
  "bot was blocked by the user";
- more than ``rate`` messages in any ``rate_window`` seconds overall, or more than
  ``per_chat_rate`` in ``per_chat_window`` seconds to one chat, answers 429 with
  ``parameters.retry_after`` (nothing is delivered).

Tests drive it in-process: :meth:`FakeTelegramServer.send_text`, ``send_document``,
``send_photo``, ``press``, ``block``, ``messages``, ``wait_for``, ``errors``,
``count_429``, ``unanswered_callbacks()``...  Standalone
(``python -m tests.fakes.telegram_server --port 8081``) it logs every call and
serves a control API under ``/_test/`` (see :func:`main`) plus an optional
``--repl`` that lets you chat with the bot as a Telegram user from the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import logging
import math
import re
import secrets
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.fakes.telegram_html import HtmlParseError, parse_html, strip_text

log = logging.getLogger("fake-telegram")

DEFAULT_TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
MAX_UPLOAD = 50 * 1024 * 1024
MAX_GETFILE = 20 * 1024 * 1024
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
UPDATE_TYPES = {
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "message_reaction_count",
    "chat_boost",
    "removed_chat_boost",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "purchased_paid_media",
}
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
# Methods that create a message: these count against the rate limits.
SENDING_METHODS = {"sendmessage", "senddocument", "sendphoto"}


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class FakeUser:
    id: int
    first_name: str
    username: str | None = None
    started: bool = True  # pressed Start at least once
    blocked: bool = False

    def as_user(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": "vi",
        }
        if self.username:
            d["username"] = self.username
        return d

    def as_chat(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            d["username"] = self.username
        return d


@dataclass
class SentMessage:
    """A message the bot sent (its current state, after any edit)."""

    chat_id: int
    message_id: int
    method: str
    text: str  # the text (or caption) as the user sees it: entities parsed
    raw: str  # what the bot sent, markup included
    parse_mode: str | None
    entities: list[dict]
    reply_markup: dict | None
    date: int
    document: dict | None = None
    photo: list[dict] | None = None
    edits: int = 0
    history: list[str] = field(default_factory=list)  # earlier texts, before edits

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row]

    def as_message(self, bot: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        d: dict[str, Any] = {"message_id": self.message_id, "from": bot, "chat": chat, "date": self.date}
        key = "caption" if self.document is not None or self.photo is not None else "text"
        if self.text:
            d[key] = self.text
        if self.entities:
            d["caption_entities" if key == "caption" else "entities"] = self.entities
        if self.document is not None:
            d["document"] = self.document
        if self.photo is not None:
            d["photo"] = self.photo
        if self.edits:
            d["edit_date"] = int(time.time())
        if self.reply_markup and self.reply_markup.get("inline_keyboard"):
            d["reply_markup"] = self.reply_markup
        return d


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str = ""
    mime_type: str = "application/octet-stream"


@dataclass
class CallbackRecord:
    id: str
    user_id: int
    message_id: int
    data: str
    created: float
    answered: bool = False
    answer_text: str = ""


@dataclass
class ErrorRecord:
    method: str
    code: int
    description: str
    chat_id: Any = None


class _Window:
    """Sliding-window counter: at most ``limit`` events in any ``period`` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.stamps: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        while self.stamps and now - self.stamps[0] >= self.period:
            self.stamps.popleft()
        if len(self.stamps) < self.limit:
            return 0.0
        return self.period - (now - self.stamps[0])

    def add(self, now: float) -> None:
        self.stamps.append(now)


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes")


class FakeTelegramServer:
    """The fake Bot API.  ``await start()``, use ``api_root`` as ``TELEGRAM_API_URL``, ``await stop()``."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        rate: int = 30,
        rate_window: float = 1.0,
        per_chat_rate: int = 3,
        per_chat_window: float = 3.0,
        callback_ttl: float = 15.0,
        strict_html: bool = True,
        webhook_retry_delay: float = 0.3,
        allow_http_webhook: bool = True,
        log_traffic: bool = False,
        bot_username: str = "chidao5500_test_bot",
        auto_users: bool = False,
    ) -> None:
        self.tokens = {token}
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_username = bot_username
        self.rate, self.rate_window = rate, rate_window
        self.per_chat_rate, self.per_chat_window = per_chat_rate, per_chat_window
        self.callback_ttl = callback_ttl
        self.strict_html = strict_html
        self.webhook_retry_delay = webhook_retry_delay
        self.allow_http_webhook = allow_http_webhook
        self.log_traffic = log_traffic
        self.auto_users = auto_users  # any positive numeric chat id is a user who started the bot
        self.users: dict[int, FakeUser] = {}
        self.sent: dict[int, list[SentMessage]] = {}  # chat id -> bot messages in order
        self.user_messages: dict[int, list[dict]] = {}  # chat id -> what users sent
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[str, list[dict]] = {}  # scope key -> commands
        self.errors: list[ErrorRecord] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (method, params) of every API call
        self.chat_actions: list[tuple[int, str]] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_allowed: list[str] | None = None
        self.webhook_max_connections = 40
        self.webhook_last_error: tuple[int, str] | None = None
        self.webhook_deliveries = 0
        self.webhook_failures = 0
        self._allowed_updates: list[str] | None = None
        self._history: dict[int, dict] = {}  # every update ever queued, by id
        self._pending: list[dict] = []  # updates not yet confirmed (polling) or not yet accepted (webhook)
        self._delivered_max = 0  # highest update_id handed to the bot at least once
        self._update_ids = itertools.count(700_000_001)
        self._message_ids: dict[int, itertools.count] = {}
        self._global = _Window(rate, rate_window)
        self._per_chat: dict[int, _Window] = {}
        self._changed = asyncio.Condition()
        self._poll_generation = 0
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # ------------------------------------------------------------------ life
    @property
    def api_root(self) -> str:
        """What the bot takes as ``TELEGRAM_API_URL``."""
        return f"http://{self.host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeTelegramServer:
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        app.router.add_post("/_test/{action}", self._control)
        app.router.add_get("/_test/{action}", self._control)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        self.host, self.port = host, sock.getsockname()[1]
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --------------------------------------------------------- test helpers
    def add_user(
        self, user_id: int, first_name: str = "", username: str | None = None, started: bool = True
    ) -> FakeUser:
        user = self.users.get(user_id)
        if user is None:
            user = FakeUser(user_id, first_name or f"Người dùng {user_id}", username, started)
            self.users[user_id] = user
        return user

    def block(self, user_id: int, blocked: bool = True) -> None:
        self.add_user(user_id).blocked = blocked

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _user_message(self, user_id: int, **content: Any) -> dict:
        user = self.add_user(user_id)
        user.started = True
        user.blocked = False  # writing to the bot again unblocks it
        msg = {
            "message_id": self._next_message_id(user.id),
            "from": user.as_user(),
            "chat": user.as_chat(),
            "date": int(time.time()),
            **content,
        }
        self.user_messages.setdefault(user.id, []).append(msg)
        return msg

    def push_update(self, update: dict) -> int:
        """Queue a raw update (``update_id`` assigned unless present); returns its id."""
        update.setdefault("update_id", next(self._update_ids))
        self._history[update["update_id"]] = update
        self._pending.append(update)
        self._pending.sort(key=lambda u: u["update_id"])
        self._notify()
        self._log("⇠ update %s %s", update["update_id"], _summary(update))
        return update["update_id"]

    def redeliver(self, update_id: int) -> None:
        """Deliver an already delivered update again (what a webhook retry or a restart can do)."""
        update = self._history.get(update_id)
        if update is None:
            raise KeyError(f"no update {update_id}")
        self._pending.append(json.loads(json.dumps(update)))
        self._pending.sort(key=lambda u: u["update_id"])
        self._notify()

    def send_text(self, user_id: int, text: str) -> int:
        """The user types ``text``; returns the update id."""
        entities = []
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        msg = self._user_message(user_id, text=text, **({"entities": entities} if entities else {}))
        return self.push_update({"message": _public(msg)})

    def add_file(
        self,
        data: bytes,
        file_name: str = "",
        mime_type: str = "application/octet-stream",
        kind: str = "documents",
    ) -> StoredFile:
        n = len(self.files) + 1
        file_id = f"BQACAgI{secrets.token_hex(12)}{n}"
        unique = f"AgAD{secrets.token_hex(6)}"
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        path = f"{kind}/file_{n}.{suffix}"
        f = StoredFile(file_id, unique, path, data, file_name, mime_type)
        self.files[file_id] = f
        self._files_by_path[path] = f
        return f

    def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        declared_size: int | None = None,
    ) -> int:
        """The user sends a file; ``declared_size`` fakes a bigger ``file_size`` in the update."""
        f = self.add_file(data, file_name, mime_type)
        doc = {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": declared_size if declared_size is not None else len(data),
        }
        content: dict[str, Any] = {"document": doc}
        if caption:
            content["caption"] = caption
        msg = self._user_message(user_id, **content)
        return self.push_update({"message": _public(msg)})

    def send_photo(self, user_id: int, data: bytes, caption: str | None = None) -> int:
        """The user sends a photo: two sizes (a thumbnail and the full one), like Telegram."""
        thumb = self.add_file(data[: max(1, len(data) // 4)], "thumb.jpg", "image/jpeg", kind="photos")
        full = self.add_file(data, "photo.jpg", "image/jpeg", kind="photos")
        sizes = [
            {
                "file_id": thumb.file_id,
                "file_unique_id": thumb.file_unique_id,
                "width": 90,
                "height": 90,
                "file_size": len(thumb.data),
            },
            {
                "file_id": full.file_id,
                "file_unique_id": full.file_unique_id,
                "width": 1280,
                "height": 960,
                "file_size": len(data),
            },
        ]
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        msg = self._user_message(user_id, **content)
        return self.push_update({"message": _public(msg)})

    def press(
        self, user_id: int, message_id: int | None = None, *, text: str | None = None, data: str | None = None
    ) -> int:
        """The user presses a button that is on screen (by its ``text`` or ``data``).

        ``message_id`` defaults to the last bot message with a keyboard in that chat.
        Raises ``LookupError`` when no such button is shown: a real user cannot press it.
        Returns the update id.
        """
        msgs = self.sent.get(user_id, [])
        if message_id is None:
            with_kb = [m for m in msgs if m.buttons]
            if not with_kb:
                raise LookupError(f"chat {user_id} shows no inline keyboard")
            target = with_kb[-1]
        else:
            target = next((m for m in msgs if m.message_id == message_id), None)
            if target is None:
                raise LookupError(f"chat {user_id} has no message {message_id}")
        for label, cb_data in target.buttons:
            if (text is not None and label == text) or (data is not None and cb_data == data):
                return self.press_raw(user_id, target.message_id, cb_data)
        raise LookupError(f"message {target.message_id} shows no button {text or data!r}: {target.buttons}")

    def press_raw(self, user_id: int, message_id: int, data: str) -> int:
        """Inject a callback query whatever is on screen (a stale client, a double tap)."""
        user = self.add_user(user_id)
        target = next((m for m in self.sent.get(user_id, []) if m.message_id == message_id), None)
        if target is None:
            raise LookupError(f"chat {user_id} has no message {message_id}")
        qid = str(secrets.randbits(62))
        self.callbacks[qid] = CallbackRecord(qid, user_id, message_id, data, time.monotonic())
        bot = self._bot_user()
        query = {
            "id": qid,
            "from": user.as_user(),
            "message": target.as_message(bot, user.as_chat()),
            "chat_instance": str(user_id * 7919),
            "data": data,
        }
        return self.push_update({"callback_query": query})

    def messages(self, chat_id: int) -> list[SentMessage]:
        return list(self.sent.get(chat_id, []))

    def texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.sent.get(chat_id, [])]

    def mark(self, chat_id: int) -> int:
        """How many messages the chat has now: pass as ``since`` to :meth:`wait_for`."""
        return len(self.sent.get(chat_id, []))

    async def wait_for(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        since: int = 0,
        count: int = 1,
        timeout: float = 15.0,
    ) -> list[SentMessage]:
        """Wait until ``count`` messages after index ``since`` match ``predicate``; returns them."""

        def matching() -> list[SentMessage]:
            msgs = self.sent.get(chat_id, [])[since:]
            return [m for m in msgs if predicate is None or predicate(m)]

        async def waiter() -> list[SentMessage]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(matching()) >= count)
                return matching()

        try:
            return await asyncio.wait_for(waiter(), timeout)
        except TimeoutError:
            got = [m.text[:200] for m in self.sent.get(chat_id, [])[since:]]
            raise AssertionError(
                f"chat {chat_id}: expected {count} matching message(s) within {timeout}s; got {got}"
            ) from None

    async def wait_updates_taken(self, timeout: float = 15.0) -> None:
        """Wait until every queued update was handed to the bot (polled or accepted by the webhook)."""

        async def waiter() -> None:
            async with self._changed:
                await self._changed.wait_for(
                    lambda: (
                        all(u["update_id"] <= self._delivered_max for u in self._pending)
                        and not (self.webhook_url and self._pending)
                    )
                )

        await asyncio.wait_for(waiter(), timeout)

    def unanswered_callbacks(self) -> list[CallbackRecord]:
        return [c for c in self.callbacks.values() if not c.answered]

    @property
    def count_429(self) -> int:
        return sum(1 for e in self.errors if e.code == 429)

    def api_errors(self, *, include_429: bool = False) -> list[ErrorRecord]:
        """Errors the bot caused (wrong calls), 429s only when asked."""
        return [e for e in self.errors if include_429 or e.code != 429]

    @property
    def pending_updates(self) -> int:
        return len(self._pending)

    def _notify(self) -> None:
        async def _n() -> None:
            async with self._changed:
                self._changed.notify_all()

        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(_n())
        if self.webhook_url:
            self._ensure_webhook_task()

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Trợ lý 5500 (thử nghiệm)",
            "username": self.bot_username,
        }

    def _log(self, fmt: str, *args: Any) -> None:
        if self.log_traffic:
            log.info(fmt, *args)

    # ------------------------------------------------------------ dispatch
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise bad("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad("can't parse JSON object")
            params.update(body)
        elif ctype == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.name is None:
                    continue
                if part.filename is not None:
                    data = await part.read(decode=False)
                    params[part.name] = {
                        "_upload": bytes(data),
                        "filename": part.filename,
                        "mime": part.headers.get("Content-Type", "application/octet-stream"),
                    }
                else:
                    params[part.name] = await part.text()
        else:
            post = await request.post()
            for k, v in post.items():
                params[k] = v if isinstance(v, str) else v.file.read()
        return params

    async def _api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        method = request.match_info["method"]
        name = method.lower()
        params: dict[str, Any] = {}
        try:
            if token not in self.tokens:
                raise ApiError(401, "Unauthorized")
            handler = getattr(self, f"_m_{name}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            params = await self._params(request)
            self.calls.append((method, params))
            result = await handler(params)
        except ApiError as exc:
            transport = request.transport
            if transport is None or transport.is_closing():
                # the client hung up (a long poll cancelled at shutdown): nobody sees this answer
                return web.json_response(
                    {"ok": False, "error_code": exc.code, "description": exc.description}, status=exc.code
                )
            rec = ErrorRecord(method, exc.code, exc.description, params.get("chat_id"))
            self.errors.append(rec)
            self._log("✗ %s %s → %s %s", method, _short(params), exc.code, exc.description)
            body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            headers = {}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
                headers["Retry-After"] = str(exc.retry_after)
            return web.json_response(body, status=exc.code, headers=headers)
        if name != "getupdates" or result:
            self._log("→ %s %s", method, _short(params))
        return web.json_response({"ok": True, "result": result})

    # ------------------------------------------------------------- helpers
    def _chat(self, params: dict[str, Any]) -> FakeUser:
        raw = params.get("chat_id")
        if raw is None or str(raw).strip() == "":
            raise bad("chat_id is empty")
        raw = str(raw).strip()
        if raw.startswith("@"):
            user = next((u for u in self.users.values() if u.username and "@" + u.username == raw), None)
        else:
            try:
                chat_id = int(raw)
            except ValueError:
                raise bad("chat not found") from None
            user = self.users.get(chat_id)
            if user is None and self.auto_users and chat_id > 0:
                user = self.add_user(chat_id)
        if user is None:
            raise bad("chat not found")
        return user

    def _check_can_send(self, user: FakeUser) -> None:
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not user.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")

    def _rate_check(self, chat_id: int) -> None:
        now = time.monotonic()
        chat = self._per_chat.setdefault(chat_id, _Window(self.per_chat_rate, self.per_chat_window))
        wait = max(self._global.wait_time(now), chat.wait_time(now))
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        self._global.add(now)
        chat.add(now)

    @staticmethod
    def _json_param(params: dict[str, Any], key: str, error: str) -> Any:
        value = params.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad(error) from None
        return value

    def _render(
        self, params: dict[str, Any], key: str, limit: int, empty_error: str | None, long_error: str
    ) -> tuple[str, str, list[dict]]:
        raw = params.get(key)
        raw = "" if raw is None else str(raw)
        mode = params.get("parse_mode") or None
        if mode is not None and str(mode).upper() != "HTML":
            if str(mode) not in ("MarkdownV2", "Markdown"):
                raise bad(f"unsupported parse_mode {mode!r}")
            raise bad(f"can't parse entities: parse_mode {mode} is not implemented by this fake server")
        if mode:
            try:
                text, entities = parse_html(raw, strict=self.strict_html)
            except HtmlParseError as exc:
                raise bad(f"can't parse entities: {exc}") from None
        else:
            text = raw
            entities = (
                self._json_param(
                    params,
                    "entities" if key == "text" else "caption_entities",
                    "can't parse entities JSON object",
                )
                or []
            )
        text, entities = strip_text(text, entities)
        if not text and empty_error:
            raise bad(empty_error)
        if len(text) > limit:
            raise bad(long_error)
        return raw, text, entities

    def _keyboard(self, params: dict[str, Any]) -> dict | None:
        markup = self._json_param(params, "reply_markup", "can't parse reply keyboard markup JSON object")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return markup  # reply keyboards and removals are accepted as is
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        count = 0
        for row in rows:
            for button in row:
                count += 1
                if not isinstance(button, dict):
                    raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
                if not str(button.get("text", "")).strip():
                    raise bad("BUTTON_TEXT_EMPTY")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= MAX_CALLBACK_DATA:
                        raise bad("BUTTON_DATA_INVALID")
                elif not any(
                    k in button
                    for k in (
                        "url",
                        "switch_inline_query",
                        "login_url",
                        "web_app",
                        "switch_inline_query_current_chat",
                        "copy_text",
                        "pay",
                    )
                ):
                    raise bad(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
        if count > MAX_BUTTONS:
            raise bad("reply markup is too long")
        return {"inline_keyboard": [[dict(b) for b in row] for row in rows]}

    def _record(self, msg: SentMessage) -> dict[str, Any]:
        self.sent.setdefault(msg.chat_id, []).append(msg)
        self._notify()
        user = self.users[msg.chat_id]
        return msg.as_message(self._bot_user(), user.as_chat())

    def _find_message(self, params: dict[str, Any]) -> tuple[FakeUser, SentMessage]:
        if params.get("inline_message_id"):
            raise bad("inline messages are not supported by this fake server")
        user = self._chat(params)
        try:
            mid = int(params.get("message_id", ""))
        except ValueError:
            raise bad("message identifier is not specified") from None
        msg = next((m for m in self.sent.get(user.id, []) if m.message_id == mid), None)
        if msg is None:
            if any(m.get("message_id") == mid for m in self.user_messages.get(user.id, [])):
                raise bad("message can't be edited")
            raise bad("message to edit not found")
        return user, msg

    # ------------------------------------------------------------- methods
    async def _m_getme(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_logout(self, _params: dict[str, Any]) -> bool:
        return True

    async def _m_close(self, _params: dict[str, Any]) -> bool:
        return True

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        try:
            offset = int(params.get("offset") or 0)
            limit = int(params.get("limit") or 100)
            timeout = float(params.get("timeout") or 0)
        except ValueError:
            raise bad("wrong parameter value") from None
        limit = min(max(limit, 1), 100)
        allowed = self._json_param(params, "allowed_updates", "can't parse allowed updates JSON array")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad("can't parse allowed updates JSON array")
            self._allowed_updates = [a for a in allowed if a in UPDATE_TYPES] or None
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll wakes up and ends with a conflict
        deadline = time.monotonic() + min(max(timeout, 0), 50)
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = self._take(limit)
            if batch or time.monotonic() >= deadline:
                return batch
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), max(0.0, deadline - time.monotonic()))

    def _take(self, limit: int) -> list[dict]:
        allowed = self._allowed_updates
        out: list[dict] = []
        kept: list[dict] = []
        for u in self._pending:
            kinds = [k for k in u if k != "update_id"]
            if allowed is not None and not any(k in allowed for k in kinds):
                continue  # filtered out: dropped, like Telegram
            kept.append(u)
            if len(out) < limit:
                out.append(u)
        self._pending = kept
        if out:
            self._delivered_max = max(self._delivered_max, out[-1]["update_id"])
            self._notify()
        return out

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "").strip()
        if not url:
            return await self._m_deletewebhook(params)
        parts = urlsplit(url)
        if parts.scheme != "https" and not (self.allow_http_webhook and parts.scheme == "http"):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        if not parts.hostname:
            raise bad("bad webhook: Failed to resolve host: Name or service not known")
        secret = params.get("secret_token")
        if secret is not None and secret != "" and not _SECRET_RE.match(str(secret)):
            raise bad("bad webhook: Secret token contains unallowed characters")
        allowed = self._json_param(params, "allowed_updates", "can't parse allowed updates JSON array")
        if _as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        self.webhook_url = url
        self.webhook_secret = str(secret or "")
        self.webhook_allowed = allowed if isinstance(allowed, list) else None
        self._allowed_updates = self.webhook_allowed
        self.webhook_max_connections = int(params.get("max_connections") or 40)
        self.webhook_last_error = None
        self._poll_generation += 1  # a pending getUpdates ends with a conflict
        self._ensure_webhook_task()
        self._notify()
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        if _as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        self.webhook_url = ""
        self.webhook_secret = ""
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        return True

    async def _m_getwebhookinfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = self.webhook_max_connections
            if self.webhook_allowed is not None:
                info["allowed_updates"] = self.webhook_allowed
        if self.webhook_last_error:
            info["last_error_date"], info["last_error_message"] = self.webhook_last_error
        return info

    async def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = self._json_param(params, "commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad("too many commands specified")
        for c in commands:
            if not isinstance(c, dict) or not _COMMAND_RE.match(str(c.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise bad("command description must be non-empty")
        scope = self._json_param(params, "scope", "can't parse BotCommandScope JSON object") or {
            "type": "default"
        }
        if scope.get("type") == "chat":
            self._chat({"chat_id": scope.get("chat_id")})
        self.commands[_scope_key(scope, params.get("language_code"))] = commands
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> list[dict]:
        scope = self._json_param(params, "scope", "can't parse BotCommandScope JSON object") or {
            "type": "default"
        }
        return self.commands.get(_scope_key(scope, params.get("language_code")), [])

    async def _m_deletemycommands(self, params: dict[str, Any]) -> bool:
        scope = self._json_param(params, "scope", "can't parse BotCommandScope JSON object") or {
            "type": "default"
        }
        self.commands.pop(_scope_key(scope, params.get("language_code")), None)
        return True

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._chat(params)
        raw, text, entities = self._render(
            params, "text", MAX_TEXT, "message text is empty", "message is too long"
        )
        markup = self._keyboard(params)
        self._check_can_send(user)
        self._rate_check(user.id)
        msg = SentMessage(
            user.id,
            self._next_message_id(user.id),
            "sendMessage",
            text,
            raw,
            params.get("parse_mode") or None,
            entities,
            markup,
            int(time.time()),
        )
        return self._record(msg)

    async def _send_file(self, params: dict[str, Any], field_name: str) -> dict[str, Any]:
        user = self._chat(params)
        raw, text, entities = self._render(
            params, "caption", MAX_CAPTION, None, "message caption is too long"
        )
        markup = self._keyboard(params)
        value = params.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, dict) and "_upload" in value:
            data: bytes = value["_upload"]
            if not data:
                raise bad("file must be non-empty")
            if len(data) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            stored = self.add_file(
                data,
                value.get("filename") or "",
                value.get("mime") or "application/octet-stream",
                kind="documents" if field_name == "document" else "photos",
            )
        elif isinstance(value, str) and value in self.files:
            stored = self.files[value]
        elif value is None or value == "":
            raise bad(f"there is no {field_name} in the request")
        else:
            raise bad("wrong file identifier/HTTP URL specified")
        self._check_can_send(user)
        self._rate_check(user.id)
        msg = SentMessage(
            user.id,
            self._next_message_id(user.id),
            f"send{field_name.capitalize()}",
            text,
            raw,
            params.get("parse_mode") or None,
            entities,
            markup,
            int(time.time()),
        )
        info = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if field_name == "document":
            msg.document = {**info, "file_name": stored.file_name, "mime_type": stored.mime_type}
        else:
            msg.photo = [{**info, "width": 800, "height": 600}]
        return self._record(msg)

    async def _m_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "document")

    async def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "photo")

    async def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        user, msg = self._find_message(params)
        raw, text, entities = self._render(
            params, "text", MAX_TEXT, "message text is empty", "message is too long"
        )
        markup = self._keyboard(params)
        if msg.document is not None or msg.photo is not None:
            raise bad("there is no text in the message to edit")
        self._check_can_send(user)
        if text == msg.text and entities == msg.entities and markup == msg.reply_markup:
            raise bad(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        msg.history.append(msg.text)
        msg.text, msg.raw, msg.entities, msg.reply_markup = text, raw, entities, markup
        msg.edits += 1
        self._notify()
        return msg.as_message(self._bot_user(), user.as_chat())

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        user, msg = self._find_message(params)
        markup = self._keyboard(params)
        self._check_can_send(user)
        if markup == msg.reply_markup or (not markup and not (msg.reply_markup or {}).get("inline_keyboard")):
            raise bad(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        msg.reply_markup = markup
        msg.edits += 1
        self._notify()
        return msg.as_message(self._bot_user(), user.as_chat())

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        qid = str(params.get("callback_query_id") or "")
        rec = self.callbacks.get(qid)
        expired = rec is not None and time.monotonic() - rec.created > self.callback_ttl
        if rec is None or rec.answered or expired:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        text = str(params.get("text") or "")
        if len(text) > 200:
            raise bad("MESSAGE_TOO_LONG")
        rec.answered = True
        rec.answer_text = text
        self._notify()
        return True

    async def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        f = self.files.get(str(params.get("file_id") or ""))
        if f is None:
            raise bad("invalid file_id")
        if len(f.data) > MAX_GETFILE:
            raise bad("file is too big")
        return {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "file_size": len(f.data),
            "file_path": f.file_path,
        }

    async def _m_sendchataction(self, params: dict[str, Any]) -> bool:
        user = self._chat(params)
        action = str(params.get("action") or "")
        if action not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        self._check_can_send(user)
        self.chat_actions.append((user.id, action))
        return True

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] not in self.tokens:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        f = self._files_by_path.get(request.match_info["path"])
        if f is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=f.data, content_type="application/octet-stream")

    # ------------------------------------------------------------- webhook
    def _ensure_webhook_task(self) -> None:
        if self.webhook_url and (self._webhook_task is None or self._webhook_task.done()):
            with contextlib.suppress(RuntimeError):
                self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())

    async def _webhook_loop(self) -> None:
        """POST pending updates one by one, in order; keep an update until the webhook answers 2xx."""
        while self.webhook_url:
            allowed = self.webhook_allowed
            self._pending = [
                u
                for u in self._pending
                if allowed is None or any(k in allowed for k in u if k != "update_id")
            ]
            if not self._pending:
                async with self._changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 1.0)
                continue
            update = self._pending[0]
            headers = {"Content-Type": "application/json"}
            if self.webhook_secret:
                headers[SECRET_HEADER] = self.webhook_secret
            error = ""
            try:
                assert self._session is not None
                async with self._session.post(
                    self.webhook_url,
                    data=json.dumps(update),
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as resp:
                    await resp.read()
                    if not 200 <= resp.status < 300:
                        error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = f"Connection failed: {type(exc).__name__}"
            if error:
                self.webhook_failures += 1
                self.webhook_last_error = (int(time.time()), error)
                self._log("✗ webhook %s", error)
                await asyncio.sleep(self.webhook_retry_delay)
                continue
            self.webhook_deliveries += 1
            self._delivered_max = max(self._delivered_max, update["update_id"])
            if self._pending and self._pending[0] is update:
                self._pending.pop(0)
            self._notify()

    # ------------------------------------------------------- control (HTTP)
    async def _control(self, request: web.Request) -> web.StreamResponse:
        """``/_test/<action>`` for manual runs (JSON in, JSON out)."""
        action = request.match_info["action"]
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            with contextlib.suppress(json.JSONDecodeError):
                body = await request.json()
        body.update(request.query)
        try:
            uid = int(body.get("user_id") or 0)
            if action == "message":
                return web.json_response({"update_id": self.send_text(uid, str(body["text"]))})
            if action == "document":
                data = (
                    base64.b64decode(body["content_base64"])
                    if "content_base64" in body
                    else str(body.get("content", "")).encode()
                )
                return web.json_response(
                    {
                        "update_id": self.send_document(
                            uid,
                            data,
                            str(body.get("filename", "tai-lieu.txt")),
                            str(body.get("mime_type", "text/plain")),
                            body.get("caption"),
                        )
                    }
                )
            if action == "photo":
                data = base64.b64decode(body["content_base64"])
                return web.json_response({"update_id": self.send_photo(uid, data, body.get("caption"))})
            if action == "press":
                mid = int(body["message_id"]) if body.get("message_id") else None
                return web.json_response(
                    {"update_id": self.press(uid, mid, text=body.get("text"), data=body.get("data"))}
                )
            if action == "block":
                self.block(uid, _as_bool(body.get("blocked", True)))
                return web.json_response({"ok": True})
            if action == "user":
                u = self.add_user(
                    uid,
                    str(body.get("first_name", "")),
                    body.get("username"),
                    _as_bool(body.get("started", True)),
                )
                return web.json_response(u.as_user())
            if action == "messages":
                return web.json_response([_dump(m) for m in self.messages(uid)])
            if action == "stats":
                return web.json_response(
                    {
                        "errors": [e.__dict__ for e in self.errors],
                        "count_429": self.count_429,
                        "unanswered_callbacks": [c.id for c in self.unanswered_callbacks()],
                        "pending_updates": len(self._pending),
                        "webhook_url": self.webhook_url,
                        "commands": self.commands,
                        "sent": sum(len(v) for v in self.sent.values()),
                        "per_chat": {str(k): len(v) for k, v in self.sent.items()},
                    }
                )
        except (KeyError, ValueError, LookupError) as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=400)
        return web.json_response({"ok": False, "description": f"unknown action {action}"}, status=404)


def _public(msg: dict) -> dict:
    return {k: v for k, v in msg.items() if not k.startswith("_")}


def _scope_key(scope: dict, language: Any) -> str:
    return json.dumps(scope, sort_keys=True) + "|" + str(language or "")


def _summary(update: dict) -> str:
    if "message" in update:
        m = update["message"]
        what = m.get("text") or m.get("caption") or ("[document]" if "document" in m else "[photo]")
        return f"message from {m['from']['id']}: {what[:80]!r}"
    if "callback_query" in update:
        q = update["callback_query"]
        return f"button from {q['from']['id']}: {q['data']!r}"
    return str(list(update))


def _short(params: dict[str, Any]) -> str:
    out = []
    for k, v in params.items():
        if isinstance(v, dict) and "_upload" in v:
            v = f"<file {v['filename']} {len(v['_upload'])} B>"
        s = str(v)
        out.append(f"{k}={s[:120] + '…' if len(s) > 120 else s}")
    return " ".join(out)


def _dump(m: SentMessage) -> dict[str, Any]:
    return {
        "message_id": m.message_id,
        "text": m.text,
        "buttons": m.buttons,
        "edits": m.edits,
        "document": m.document,
        "method": m.method,
    }


# ------------------------------------------------------------------ standalone
async def _repl(server: FakeTelegramServer, user_id: int) -> None:
    """Chat with the bot from the terminal: lines are sent as the user's messages.

    ``!press N`` presses button N (1-based) of the last keyboard, ``!file PATH`` sends
    a document, ``!photo PATH`` a photo, ``!block`` / ``!unblock``.
    """
    server.add_user(user_id, "Người thử")
    loop = asyncio.get_running_loop()
    shown = 0

    async def printer() -> None:
        nonlocal shown
        while True:
            msgs = server.messages(user_id)
            for m in msgs[shown:]:
                print(f"\n[bot #{m.message_id}] {m.text}")
                for i, (label, _data) in enumerate(m.buttons, 1):
                    print(f"   [{i}] {label}")
            shown = len(msgs)
            async with server._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(server._changed.wait(), 1.0)

    task = asyncio.create_task(printer())
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            line = line.rstrip("\n")
            try:
                if line.startswith("!press "):
                    with_kb = [m for m in server.messages(user_id) if m.buttons]
                    label = with_kb[-1].buttons[int(line.split()[1]) - 1][0]
                    server.press(user_id, with_kb[-1].message_id, text=label)
                elif line.startswith(("!file ", "!photo ")):
                    path = line.split(" ", 1)[1]
                    with open(path, "rb") as fh:
                        data = fh.read()
                    if line.startswith("!file"):
                        server.send_document(user_id, data, path.rsplit("/", 1)[-1])
                    else:
                        server.send_photo(user_id, data)
                elif line in ("!block", "!unblock"):
                    server.block(user_id, line == "!block")
                elif line:
                    server.send_text(user_id, line)
            except (LookupError, IndexError, ValueError, OSError) as exc:
                print(f"! {exc}")
    finally:
        task.cancel()


async def _serve(args: argparse.Namespace) -> None:
    server = FakeTelegramServer(
        args.token,
        rate=args.rate,
        per_chat_rate=args.per_chat_rate,
        per_chat_window=args.per_chat_window,
        strict_html=not args.lenient_html,
        log_traffic=not args.quiet,
        auto_users=args.auto_users,
    )
    await server.start(args.host, args.port)
    for uid in args.user:
        server.add_user(uid)
    print(f"Fake Telegram Bot API on {server.api_root}  token={server.token}", flush=True)
    print(f"  TELEGRAM_API_URL={server.api_root} TELEGRAM_BOT_TOKEN={server.token}", flush=True)
    try:
        if args.repl is not None:
            await _repl(server, args.repl)
        else:
            await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.fakes.telegram_server --port 8081 [--repl USER_ID]``.

    Control API (JSON): POST ``/_test/message`` {user_id, text}; ``/_test/press``
    {user_id, text|data[, message_id]}; ``/_test/document`` {user_id, filename,
    content|content_base64[, caption]}; ``/_test/photo``; ``/_test/block`` {user_id,
    blocked}; ``/_test/user`` {user_id, first_name, started}; GET
    ``/_test/messages?user_id=N``; GET ``/_test/stats``.
    """
    p = argparse.ArgumentParser(
        description="Strict local Telegram Bot API server (for tests and manual runs)"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--token", default=DEFAULT_TOKEN)
    p.add_argument("--rate", type=int, default=30, help="messages per second, all chats")
    p.add_argument("--per-chat-rate", type=int, default=3)
    p.add_argument("--per-chat-window", type=float, default=3.0)
    p.add_argument("--lenient-html", action="store_true", help="accept a bare & or > like Telegram does")
    p.add_argument("--user", type=int, action="append", default=[], help="a user who has started the bot")
    p.add_argument(
        "--auto-users", action="store_true", help="every numeric chat id is a user who started the bot"
    )
    p.add_argument("--quiet", action="store_true", help="do not log every call")
    p.add_argument("--repl", type=int, metavar="USER_ID", help="chat with the bot as this user from stdin")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
