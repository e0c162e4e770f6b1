"""A strict local Zalo Bot Platform API server (aiohttp) for the tests, also usable by hand.

It implements what the bot uses of ``https://bot-api.zaloplatforms.com`` and enforces
the platform's documented rules, so a bot that passes against it does not trip on the
real thing:

- every call is ``POST {root}/bot{token}/{method}`` with a JSON or form-encoded body;
  a wrong token answers 401, an unknown method 404, another HTTP verb 405;
- ``getUpdates(timeout)`` long-polls and answers **one** update
  ``{"ok": true, "result": {"event_name": ..., "message": {...}}}``, or HTTP 408
  ``{"ok": false, "error_code": 408, "description": "Request timeout"}`` when nothing came;
  it is refused (409) while a webhook is set;
- ``setWebhook(url, secret_token)``: HTTPS URL (plain HTTP only for a loopback host, so
  tests can run), secret of 8–256 characters; updates are then POSTed to the URL with
  the ``X-Bot-Api-Secret-Token`` header and the body ``{"ok": true, "result": update}``;
  ``deleteWebhook`` and ``getWebhookInfo`` as documented;
- ``sendMessage`` (text of 1–2,000 characters), ``sendPhoto`` (an http(s) photo URL,
  optional caption ≤ 2,000), ``sendSticker``, ``sendChatAction`` (``typing`` or
  ``upload_photo``); a chat that never wrote to the bot is unknown (400), a user who
  blocked the bot answers 403; more than ``rate_limit`` send calls in any
  ``rate_window`` answers 429 with ``parameters.retry_after`` and a ``Retry-After`` header;
- errors are always ``{"ok": false, "error_code": N, "description": ...}``.

Tests drive it in-process (``inject_text``, ``inject_image``, ``inject_sticker``,
``redeliver``, ``block``, ``messages``, ``wait_for_messages``...).  Standalone:
``python -m tests.fakes.zalo_server --port 8082`` serves the same API and a small
control API under ``/_test/`` (inject an event, read what a chat received, block a user).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import ipaddress
import json
import math
import secrets
import struct
import time
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

DEFAULT_TOKEN = "1459232241454765289:fake-zalo-bot-token"
MAX_TEXT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
METHODS = (
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendMessage",
    "sendPhoto",
    "sendSticker",
    "sendChatAction",
)
SEND_METHODS = ("sendMessage", "sendPhoto", "sendSticker", "sendChatAction")


def now_ms() -> int:
    return int(time.time() * 1000)


def new_id() -> str:
    """Zalo ids look like 20 hexadecimal characters."""
    return secrets.token_hex(10)


def tiny_png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid PNG image, small enough to build in tests without any image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    raw = row * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass
class SentMessage:
    """One thing the bot sent into a chat."""

    method: str  # sendMessage | sendPhoto | sendSticker
    chat_id: str
    message_id: str
    date: int
    text: str = ""  # the text, or the caption of a photo
    photo: str = ""
    sticker: str = ""


@dataclass
class WebhookDelivery:
    """One POST the server made to the bot's webhook, and how the bot answered."""

    update: dict[str, Any]
    status: int  # HTTP status, or 0 when the connection failed
    body: str = ""


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    status: int


class ApiError(Exception):
    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}
        self.extra = extra


@dataclass
class _Files:
    data: dict[str, tuple[bytes, str]] = field(default_factory=dict)


class FakeZaloServer:
    """The fake platform: an aiohttp app on 127.0.0.1 (port 0 = a free port)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int | None = None,
        rate_window: float = 1.0,
        max_poll_timeout: float = 60.0,
        webhook_flat: bool = False,
        webhook_retries: int = 0,
        bot_name: str = "Trợ lý 5500",
        verbose: bool = False,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.max_poll_timeout = max_poll_timeout
        self.webhook_flat = webhook_flat  # POST the bare update instead of {"ok": true, "result": ...}
        self.webhook_retries = webhook_retries  # re-POST an update the bot answered with an error
        self.unreachable_retries = 50  # re-POST (every 0.2 s) while the webhook refuses connections
        self.bot_id = token.split(":", 1)[0] or "1459232241454765289"
        self.bot_name = bot_name
        self.verbose = verbose  # print every API call (standalone use)

        self.known_chats: set[str] = set()
        self.blocked: set[str] = set()
        self.sent: dict[str, list[SentMessage]] = collections.defaultdict(list)
        self.calls: list[ApiCall] = []
        self.deliveries: list[WebhookDelivery] = []
        self.rejected_429 = 0
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_updated_at = 0

        self._failures: dict[str, list[int]] = {}  # method -> HTTP statuses to answer next (fail_next)
        self._pending: collections.deque[dict[str, Any]] = collections.deque()
        self._pending_event = asyncio.Event()
        self._sent_event = asyncio.Event()
        self._send_stamps: collections.deque[float] = collections.deque()
        self._files = _Files()
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._delivering = False

        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/files/{name}", self._file)
        app.router.add_post("/_test/inject", self._ctl_inject)
        app.router.add_get("/_test/messages", self._ctl_messages)
        app.router.add_post("/_test/block", self._ctl_block)
        self._app = app

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> str:
        self._runner = web.AppRunner(self._app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        self._session = aiohttp.ClientSession()
        return self.root_url

    async def stop(self) -> None:
        await self._stop_webhook_worker()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeZaloServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def root_url(self) -> str:
        """What the bot uses as ``ZALO_API_URL``."""
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------ test helpers: events
    def _message(self, user_id: str, display_name: str, chat_id: str | None) -> dict[str, Any]:
        chat = chat_id or user_id
        self.known_chats.add(chat)
        return {
            "message_id": new_id(),
            "date": now_ms(),
            "chat": {"id": chat, "chat_type": "PRIVATE"},
            "from": {"id": user_id, "display_name": display_name or f"Người dùng {user_id}", "is_bot": False},
        }

    def _enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        self._pending.append(update)
        self._pending_event.set()
        return update

    def inject_text(
        self, user_id: str, text: str, *, display_name: str = "", chat_id: str | None = None
    ) -> dict[str, Any]:
        """A user writes ``text`` to the bot; returns the update (delivered by poll or webhook)."""
        message = self._message(user_id, display_name, chat_id)
        message["text"] = text
        return self._enqueue({"event_name": "message.text.received", "message": message})

    def add_file(self, data: bytes, content_type: str = "image/png", name: str | None = None) -> str:
        """Serve ``data`` at a URL of this server (what Zalo's CDN does for photos); returns the URL."""
        name = name or f"{new_id()}.{content_type.rsplit('/', 1)[-1]}"
        self._files.data[name] = (data, content_type)
        return f"{self.root_url}/files/{name}"

    def inject_image(
        self,
        user_id: str,
        data: bytes | None = None,
        *,
        content_type: str = "image/png",
        caption: str | None = None,
        photo_url: str | None = None,
        display_name: str = "",
        chat_id: str | None = None,
    ) -> dict[str, Any]:
        """A user sends a photo (served by this server unless ``photo_url`` is given)."""
        url = photo_url or self.add_file(data if data is not None else tiny_png(), content_type)
        message = self._message(user_id, display_name, chat_id)
        message["photo_url"] = url
        if caption:
            message["caption"] = caption
        return self._enqueue({"event_name": "message.image.received", "message": message})

    def inject_sticker(self, user_id: str, *, display_name: str = "", chat_id: str | None = None) -> dict:
        message = self._message(user_id, display_name, chat_id)
        message["sticker"] = "0e078a2fb66a5f34067b"
        message["url"] = f"https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid={new_id()}"
        return self._enqueue({"event_name": "message.sticker.received", "message": message})

    def inject_unsupported(self, user_id: str, *, display_name: str = "", chat_id: str | None = None) -> dict:
        message = self._message(user_id, display_name, chat_id)
        return self._enqueue({"event_name": "message.unsupported.received", "message": message})

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver the very same update again (same ``message_id``), as the platform may."""
        return self._enqueue(json.loads(json.dumps(update)))

    def block(self, user_id: str) -> None:
        """The user blocks the bot: sending to their chat answers 403 from now on."""
        self.blocked.add(user_id)

    def fail_next(self, method: str, count: int = 1, status: int = 500) -> None:
        """Answer the next ``count`` calls of ``method`` with ``status`` (an outage, for resilience tests)."""
        self._failures.setdefault(method, []).extend([status] * count)

    @property
    def pending(self) -> int:
        """Updates injected but not yet handed to the bot."""
        return len(self._pending) + (1 if self._delivering else 0)

    # ------------------------------------------------------------------ test helpers: what was sent
    def messages(self, chat_id: str) -> list[SentMessage]:
        return list(self.sent.get(chat_id, []))

    def texts(self, chat_id: str) -> list[str]:
        return [m.text for m in self.sent.get(chat_id, [])]

    def all_sent(self) -> list[SentMessage]:
        return [m for msgs in self.sent.values() for m in msgs]

    async def wait_for_messages(self, chat_id: str, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until ``chat_id`` has received at least ``count`` messages in total."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.sent.get(chat_id, [])) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                got = self.texts(chat_id)
                raise TimeoutError(
                    f"chat {chat_id}: {len(got)} of {count} messages after {timeout}s: {got!r}"
                )
            self._sent_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sent_event.wait(), remaining)
        return self.messages(chat_id)

    async def wait_idle(self, timeout: float = 10.0, settle: float = 0.3) -> None:
        """Wait until every injected update was taken and nothing was sent for ``settle`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last = -1
        quiet_since = loop.time()
        while True:
            count = sum(len(v) for v in self.sent.values())
            if count != last or self.pending:
                last, quiet_since = count, loop.time()
            elif loop.time() - quiet_since >= settle:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"not idle after {timeout}s ({self.pending} updates pending)")
            await asyncio.sleep(0.02)

    def markup_artefacts(self) -> list[str]:
        """Sent texts showing HTML or Markdown markup, which Zalo would display literally."""
        bad = ("<b>", "</b>", "<i>", "</i>", "<a ", "</a>", "<code>", "**", "__", "&lt;", "&gt;", "&amp;")
        return [m.text for m in self.all_sent() if any(b in m.text for b in bad)]

    # ------------------------------------------------------------------ HTTP: the Bot API
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        try:
            if request.method != "POST":
                raise ApiError(405, "Method Not Allowed: use POST")
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if method not in METHODS:
                raise ApiError(404, f"Not Found: method {method} not found")
            params = await self._params(request)
            if self._failures.get(method):
                status = self._failures[method].pop(0)
                raise ApiError(status, "Internal Server Error" if status >= 500 else "Injected failure")
            result = await getattr(self, f"_m_{method}")(params, request)
        except ApiError as exc:
            self.calls.append(ApiCall(method, params, exc.status))
            if self.verbose and not (method == "getUpdates" and exc.status == 408):
                print(f"{method} -> {exc.status} {exc.description}", flush=True)
            body = {"ok": False, "error_code": exc.status, "description": exc.description, **exc.extra}
            return web.json_response(body, status=exc.status, headers=exc.headers)
        self.calls.append(ApiCall(method, params, 200))
        if self.verbose:
            detail = str(params.get("text") or params.get("url") or "")[:80].replace("\n", " ")
            print(f"{method} -> 200 {params.get('chat_id', '')} {detail}", flush=True)
        if result is _NO_RESULT:
            return web.json_response({"ok": True})
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        body = await request.read()
        if not body:
            return {}
        ctype = request.content_type
        if ctype == "application/json":
            try:
                data = json.loads(body)
            except ValueError as exc:
                raise ApiError(400, "Bad Request: invalid JSON body") from exc
            if not isinstance(data, dict):
                raise ApiError(400, "Bad Request: the JSON body must be an object")
            return data
        if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            return {k: v for k, v in form.items() if isinstance(v, str)}
        raise ApiError(400, f"Bad Request: unsupported content type {ctype!r}")

    def _chat(self, params: dict[str, Any]) -> str:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str | int) or isinstance(chat_id, bool) or str(chat_id) == "":
            raise ApiError(400, "Bad Request: chat_id is required")
        chat = str(chat_id)
        if chat not in self.known_chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat in self.blocked:
            raise ApiError(403, "Forbidden: the user has blocked the bot")
        return chat

    def _text(self, params: dict[str, Any], name: str, required: bool = True) -> str:
        value = params.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise ApiError(400, f"Bad Request: {name} is required and must be a string")
        if not 1 <= len(value) <= MAX_TEXT:
            raise ApiError(400, f"Bad Request: {name} must be 1-{MAX_TEXT} characters (got {len(value)})")
        return value

    def _rate_check(self) -> None:
        if not self.rate_limit:
            return
        now = time.monotonic()
        while self._send_stamps and now - self._send_stamps[0] >= self.rate_window:
            self._send_stamps.popleft()
        if len(self._send_stamps) >= self.rate_limit:
            self.rejected_429 += 1
            wait = max(1, math.ceil(self.rate_window - (now - self._send_stamps[0])))
            raise ApiError(
                429,
                f"Too Many Requests: retry after {wait}",
                headers={"Retry-After": str(wait)},
                parameters={"retry_after": wait},
            )
        self._send_stamps.append(now)

    def _record(self, msg: SentMessage) -> dict[str, Any]:
        self.sent[msg.chat_id].append(msg)
        self._sent_event.set()
        return {"message_id": msg.message_id, "date": msg.date}

    async def _m_getMe(self, params: dict, request: web.Request) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "account_name": "bot.FakeZalo",
            "account_type": "BASIC",
            "can_join_groups": False,
            "display_name": self.bot_name,
        }

    async def _m_getUpdates(self, params: dict, request: web.Request) -> Any:
        if self.webhook_url:
            raise ApiError(409, "Conflict: getUpdates is not available while a webhook is set")
        raw = params.get("timeout", 30)
        try:
            timeout = float(raw)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, "Bad Request: timeout must be a number of seconds") from exc
        if timeout < 0:
            raise ApiError(400, "Bad Request: timeout must be >= 0")
        deadline = time.monotonic() + min(timeout, self.max_poll_timeout)
        while True:
            if self._pending and not self.webhook_url:
                update = self._pending.popleft()
                transport = request.transport
                if transport is None or transport.is_closing():
                    self._pending.appendleft(update)  # the poller went away: keep it for the next one
                    raise ApiError(408, "Request timeout")
                return update
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ApiError(408, "Request timeout")
            self._pending_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._pending_event.wait(), remaining)

    async def _m_setWebhook(self, params: dict, request: web.Request) -> dict[str, Any]:
        url = params.get("url")
        secret = params.get("secret_token")
        if not isinstance(url, str) or not url:
            raise ApiError(400, "Bad Request: url is required")
        parts = urlsplit(url)
        if parts.scheme == "http":
            if not _is_loopback(parts.hostname or ""):
                raise ApiError(400, "Bad Request: webhook url must use HTTPS")
        elif parts.scheme != "https" or not parts.hostname:
            raise ApiError(400, "Bad Request: invalid webhook url")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise ApiError(400, "Bad Request: secret_token must be 8-256 characters")
        await self._stop_webhook_worker()
        self.webhook_url, self.webhook_secret, self.webhook_updated_at = url, secret, now_ms()
        self._webhook_task = asyncio.create_task(self._webhook_worker())
        return {"url": url, "updated_at": self.webhook_updated_at}

    async def _m_deleteWebhook(self, params: dict, request: web.Request) -> dict[str, Any]:
        await self._stop_webhook_worker()
        self.webhook_url, self.webhook_secret, self.webhook_updated_at = "", "", now_ms()
        self._pending_event.set()  # wake pollers: pending updates are theirs again
        return {"url": "", "updated_at": self.webhook_updated_at}

    async def _m_getWebhookInfo(self, params: dict, request: web.Request) -> dict[str, Any]:
        return {"url": self.webhook_url, "updated_at": self.webhook_updated_at}

    async def _m_sendMessage(self, params: dict, request: web.Request) -> dict[str, Any]:
        chat = self._chat(params)
        text = self._text(params, "text")
        self._rate_check()
        return self._record(SentMessage("sendMessage", chat, new_id(), now_ms(), text=text))

    async def _m_sendPhoto(self, params: dict, request: web.Request) -> dict[str, Any]:
        chat = self._chat(params)
        photo = params.get("photo")
        if not isinstance(photo, str) or urlsplit(photo).scheme not in ("http", "https"):
            raise ApiError(400, "Bad Request: photo must be an http(s) URL")
        caption = self._text(params, "caption", required=False)
        self._rate_check()
        return self._record(SentMessage("sendPhoto", chat, new_id(), now_ms(), text=caption, photo=photo))

    async def _m_sendSticker(self, params: dict, request: web.Request) -> dict[str, Any]:
        chat = self._chat(params)
        sticker = params.get("sticker")
        if not isinstance(sticker, str) or not sticker:
            raise ApiError(400, "Bad Request: sticker is required")
        self._rate_check()
        return self._record(SentMessage("sendSticker", chat, new_id(), now_ms(), sticker=sticker))

    async def _m_sendChatAction(self, params: dict, request: web.Request) -> object:
        self._chat(params)
        if params.get("action") not in ("typing", "upload_photo"):
            raise ApiError(400, "Bad Request: action must be 'typing' or 'upload_photo'")
        self._rate_check()
        return _NO_RESULT

    # ------------------------------------------------------------------ webhook delivery
    async def _stop_webhook_worker(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _webhook_worker(self) -> None:
        """POST pending updates to the webhook, one at a time and in order."""
        while True:
            if not self._pending:
                self._pending_event.clear()
                await self._pending_event.wait()
                continue
            update = self._pending.popleft()
            self._delivering = True
            try:
                answered = 0
                for _attempt in range(self.unreachable_retries + 1):
                    status = await self.post_webhook(update)
                    if status == 200:
                        break
                    if status == 0:  # nobody listening (yet): try again shortly, like a real platform
                        await asyncio.sleep(0.2)
                        continue
                    answered += 1
                    if answered > self.webhook_retries:
                        break
            except asyncio.CancelledError:
                self._pending.appendleft(update)
                raise
            finally:
                self._delivering = False

    async def post_webhook(
        self,
        update: dict[str, Any],
        *,
        secret: str | None = None,
        url: str | None = None,
        flat: bool | None = None,
        record: bool = True,
    ) -> int:
        """POST one update to the webhook as the platform does (tests may forge ``secret``)."""
        assert self._session is not None, "server not started"
        flat = self.webhook_flat if flat is None else flat
        body = update if flat else {"ok": True, "result": update}
        secret = self.webhook_secret if secret is None else secret
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SECRET_HEADER] = secret
        try:
            async with self._session.post(
                url or self.webhook_url,
                data=json.dumps(body, ensure_ascii=False).encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=60),
            ) as resp:
                status, text = resp.status, await resp.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            status, text = 0, str(exc)
        if record:
            self.deliveries.append(WebhookDelivery(update, status, text))
        return status

    # ------------------------------------------------------------------ files and control API
    async def _file(self, request: web.Request) -> web.Response:
        item = self._files.data.get(request.match_info["name"])
        if item is None:
            return web.Response(status=404, text="not found")
        data, ctype = item
        return web.Response(body=data, content_type=ctype)

    async def _ctl_inject(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            kind = data.get("type", "text")
            user = str(data["user_id"])
            name = str(data.get("display_name", ""))
            if kind == "text":
                update = self.inject_text(user, str(data["text"]), display_name=name)
            elif kind == "image":
                update = self.inject_image(
                    user, photo_url=data.get("photo_url"), caption=data.get("caption"), display_name=name
                )
            elif kind == "sticker":
                update = self.inject_sticker(user, display_name=name)
            elif kind == "unsupported":
                update = self.inject_unsupported(user, display_name=name)
            else:
                return web.json_response({"ok": False, "description": f"unknown type {kind!r}"}, status=400)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return web.json_response({"ok": False, "description": f"bad request: {exc}"}, status=400)
        return web.json_response({"ok": True, "result": update})

    async def _ctl_messages(self, request: web.Request) -> web.Response:
        chat = request.query.get("chat_id", "")
        return web.json_response({"ok": True, "result": [asdict(m) for m in self.messages(chat)]})

    async def _ctl_block(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.block(str(data["user_id"]))
        return web.json_response({"ok": True})


_NO_RESULT = object()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _serve(args: argparse.Namespace) -> None:
    server = FakeZaloServer(
        args.token, host=args.host, port=args.port, rate_limit=args.rate_limit, verbose=not args.quiet
    )
    root = await server.start()
    print(f"Fake Zalo Bot API on {root}  (ZALO_API_URL={root}  ZALO_BOT_TOKEN={args.token})", flush=True)
    print(
        f'inject: curl -XPOST {root}/_test/inject -d \'{{"user_id":"u1","text":"xin chào"}}\''
        f"  read: curl '{root}/_test/messages?chat_id=u1'",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Strict local Zalo Bot Platform API server (for tests).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8082)
    p.add_argument("--token", default=DEFAULT_TOKEN)
    p.add_argument("--rate-limit", type=int, default=None, help="send calls per second before 429")
    p.add_argument("--quiet", action="store_true", help="do not print each API call")
    args = p.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
