"""The bot's one HTTP server (aiohttp): every channel's webhook, later the standing office's pages.

Adapters add routes before :meth:`WebServer.start` and may register
:meth:`WebServer.on_listening` callbacks (``setWebhook``): they run once the socket
accepts connections, so the platform's first push cannot find the port closed.
The server listens on ``WEBHOOK_LISTEN`` (or the webhook URL's host and port).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_DEPTH = 32  # a Bot API update nests about 6 levels; anything much deeper is not an update
DRAIN_LIMIT = 64 * 1024 * 1024  # an oversized body is read (and dropped) up to this, so the client sees 413


class BadBody(Exception):
    """A webhook body the bot refuses: ``status`` (400 or 413) and a short English description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The whole body, however it arrives (several TCP writes, chunked), at most ``max_bytes``.

    ``request.content.read(n)`` returns what happens to be buffered, not the body; this
    reads until the end.  Too big → :class:`BadBody` 413, after draining the rest (up to
    :data:`DRAIN_LIMIT`) so that the client reads the answer instead of a reset connection.
    """
    if request.content_length is not None and request.content_length > max_bytes:
        raise BadBody(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.readany()
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            while size <= DRAIN_LIMIT and (chunk := await request.content.readany()):
                size += len(chunk)
            raise BadBody(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _depth_ok(value: Any, limit: int = MAX_DEPTH) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def parse_json(body: bytes) -> Any:
    """JSON of a webhook body; :class:`BadBody` 400 for anything that is not (deeply nested included)."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadBody(400, "invalid JSON") from None
    if not _depth_ok(value):
        raise BadBody(400, "JSON nested too deeply")
    return value


async def read_json(request: web.Request, max_bytes: int) -> Any:
    return parse_json(await read_body(request, max_bytes))


_SERVER: web.AppKey[WebServer] = web.AppKey("server")


@web.middleware
async def _refuse_while_draining(request: web.Request, handler: RouteHandler) -> web.StreamResponse:
    server: WebServer = request.app[_SERVER]
    if server.draining and request.method == "POST":
        # Shutting down: the platform retries a 503 later (on this or another instance).
        return web.json_response({"ok": False, "description": "shutting down"}, status=503)
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:  # never a traceback for the client; 503 so that the platform delivers again
        log.exception("HTTP %s %s failed", request.method, request.path)
        return web.json_response({"ok": False, "description": "temporarily unavailable"}, status=503)


class WebServer:
    def __init__(self, host: str, port: int, client_max_size: int = 1024 * 1024) -> None:
        self.host = host
        self.port = port
        self.draining = False  # set at SIGTERM: new POSTs get 503
        self._app = web.Application(client_max_size=client_max_size, middlewares=[_refuse_while_draining])
        self._app[_SERVER] = self
        self._runner: web.AppRunner | None = None
        self._on_listening: list[Callable[[], Awaitable[None]]] = []
        self._app.router.add_get("/healthz", self._health)

    def on_listening(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` right after the server starts listening (before :meth:`start` returns)."""
        self._on_listening.append(callback)

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    def add_post(self, path: str, handler: RouteHandler) -> None:
        self._app.router.add_post(path or "/", handler)

    def add_get(self, path: str, handler: RouteHandler) -> None:
        self._app.router.add_get(path or "/", handler)

    def add_subapp(self, prefix: str, subapp: web.Application) -> None:
        """Mount a whole application (the web pages, with their own middlewares) under ``prefix``."""
        self._app.add_subapp(prefix, subapp)

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # an ephemeral port (tests): remember the one the system chose
            self.port = self._runner.addresses[0][1]
        log.info("HTTP server listening on %s:%s", self.host, self.port)
        for callback in self._on_listening:
            await callback()

    def drain(self) -> None:
        """Refuse new webhook deliveries (503) from now on; requests in flight finish."""
        self.draining = True

    async def stop(self) -> None:
        self.draining = True
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
