"""A thin async client for the Zalo Bot Platform API, on httpx.

Why not the PyPI SDK ``python-zalo-bot`` (0.1.9): see docs/README-zalo.md — in short it
is a partial copy of python-telegram-bot with placeholder metadata, does not check the
webhook secret, makes synchronous webhook calls that fail inside a running event loop,
and its polling loop dies on the first handler exception.  The API is small enough that
a hundred lines of our own are easier to trust and to test.

Every call is ``POST {root}/bot{token}/{method}`` with a JSON body; answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": ...}``.
The token is part of the URL, so no message or exception produced here contains a URL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

DEFAULT_API_URL = "https://bot-api.zaloplatforms.com"
MAX_TEXT = 2000

TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
UNSUPPORTED = "message.unsupported.received"


class ZaloError(Exception):
    """Base of this module's errors."""


class ZaloNetworkError(ZaloError):
    """The API could not be reached, or answered something that is not the API (5xx, HTML...)."""


class ZaloApiError(ZaloError):
    """The API answered ``ok: false``."""

    def __init__(self, error_code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"Zalo API error {error_code}: {description}")
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after


class FileTooLarge(ZaloError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"file larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class ZaloUpdate:
    """One event, parsed from a ``getUpdates`` result or a webhook body."""

    event_name: str
    message_id: str
    chat_id: str
    user_id: str
    display_name: str = ""
    text: str | None = None
    caption: str | None = None
    photo_url: str | None = None
    date_ms: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class UpdateFormatError(ZaloError):
    """The body is JSON but not a Zalo update."""


_RETRY_RE = re.compile(r"retry after (\d+(?:\.\d+)?)", re.IGNORECASE)


def _as_id(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, str | int):
        return str(value)
    return ""


def parse_update(body: Any) -> ZaloUpdate:
    """Accept the wrapped form ``{"ok": true, "result": update}`` and the bare update."""
    body, message = _unwrap(body)
    chat: dict[str, Any] = message["chat"] if isinstance(message.get("chat"), dict) else {}
    sender: dict[str, Any] = message["from"] if isinstance(message.get("from"), dict) else {}
    message_id = _as_id(message.get("message_id"))
    user_id = _as_id(sender.get("id"))
    chat_id = _as_id(chat.get("id")) or user_id
    if not message_id or not chat_id or not user_id:
        raise UpdateFormatError("message lacks message_id, chat.id or from.id")
    name = next(
        (v for k in ("display_name", "name", "first_name") if isinstance(v := sender.get(k), str) and v),
        "",
    )
    text, caption, date = message.get("text"), message.get("caption"), message.get("date")
    return ZaloUpdate(
        event_name=_event_name(body, message),
        message_id=message_id,
        chat_id=chat_id,
        user_id=user_id,
        display_name=name[:200],
        text=text if isinstance(text, str) else None,
        caption=caption if isinstance(caption, str) and caption else None,
        photo_url=_photo(message),
        date_ms=date if isinstance(date, int) and not isinstance(date, bool) else None,
        raw=body,
    )


def _unwrap(body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(update, its message); UpdateFormatError when either is not an object."""
    if isinstance(body, dict) and "result" in body and "message" not in body:
        body = body["result"]
    if not isinstance(body, dict):
        raise UpdateFormatError("update is not an object")
    message = body.get("message")
    if not isinstance(message, dict):
        raise UpdateFormatError("update has no message")
    return body, message


def _event_name(body: dict[str, Any], message: dict[str, Any]) -> str:
    event = body.get("event_name")
    if isinstance(event, str) and event:
        return event
    # Older samples omit event_name: infer it from the content.
    return TEXT if isinstance(message.get("text"), str) else IMAGE if _photo(message) else UNSUPPORTED


def _photo(message: dict[str, Any]) -> str | None:
    for key in ("photo_url", "photo", "url"):
        value = message.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
    return None


class ZaloClient:
    """``await client.send_message(chat_id, text)`` and friends; ``await client.aclose()`` at the end."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout: float = 15.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not token:
            raise ValueError("a Zalo bot token is required")
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        self._timeout = timeout
        self._http = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    def __repr__(self) -> str:  # the token never shows, even in a debugger or a traceback
        return "ZaloClient(<token>)"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """POST one method; returns ``result`` (or ``True`` when the API gives none)."""
        if self._http.is_closed:
            raise ZaloNetworkError(f"{method}: client closed")
        try:
            resp = await self._http.post(
                self._base + method,
                json=params or {},
                timeout=httpx.Timeout(timeout or self._timeout),
            )
        except httpx.HTTPError as exc:
            # str(exc) of httpx errors may include the URL: keep only the class and errno-like text.
            raise ZaloNetworkError(f"{method}: {type(exc).__name__}") from None
        try:
            data = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict) or "ok" not in data:
            if resp.status_code >= 500 or resp.status_code == 429:
                raise ZaloNetworkError(f"{method}: HTTP {resp.status_code}")
            raise ZaloApiError(resp.status_code, f"HTTP {resp.status_code} without an API answer")
        if data.get("ok") is True:
            return data.get("result", True)
        code = data.get("error_code")
        if not isinstance(code, int) or isinstance(code, bool):
            code = resp.status_code
        description = str(data.get("description") or "")
        return self._raise(code, description, data, resp)

    @staticmethod
    def _raise(code: int, description: str, data: dict[str, Any], resp: httpx.Response) -> Any:
        retry: float | None = None
        if code == 429 or resp.status_code == 429:
            params = data.get("parameters")
            if isinstance(params, dict) and isinstance(params.get("retry_after"), int | float):
                retry = float(params["retry_after"])
            elif resp.headers.get("Retry-After", "").replace(".", "", 1).isdigit():
                retry = float(resp.headers["Retry-After"])
            elif m := _RETRY_RE.search(description):
                retry = float(m.group(1))
            else:
                retry = 1.0
        raise ZaloApiError(code, description, retry)

    # -------------------------------------------------------------- methods
    async def get_me(self) -> dict[str, Any]:
        return await self.call("getMe")

    async def get_updates(self, timeout: int = 30) -> ZaloUpdate | None:
        """Long-poll once; ``None`` when the API answers 408 (nothing arrived, not an error)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10)
        except ZaloApiError as exc:
            if exc.error_code == 408:
                return None
            raise
        if not result or result is True:
            return None
        return parse_update(result)

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> dict[str, Any]:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        return await self.call("getWebhookInfo")

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> dict[str, Any]:
        params = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        return await self.call("sendPhoto", params)

    async def send_sticker(self, chat_id: str, sticker: str) -> dict[str, Any]:
        return await self.call("sendSticker", {"chat_id": chat_id, "sticker": sticker})

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> Any:
        return await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def download(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        """Fetch a photo from its ``photo_url``, refusing more than ``max_bytes`` (streamed, not buffered)."""
        try:
            async with self._http.stream("GET", url, follow_redirects=True) as resp:
                if resp.status_code != 200:
                    raise ZaloNetworkError(f"download: HTTP {resp.status_code}")
                declared = resp.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise FileTooLarge(max_bytes)
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(max_bytes)
                    chunks.append(chunk)
                ctype = resp.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()
        except httpx.HTTPError:
            raise ZaloNetworkError("download failed") from None
        return b"".join(chunks), ctype
