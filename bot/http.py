"""The bot's one HTTP server (aiohttp): every channel's webhook, later the standing office's pages.

Adapters add routes before :meth:`WebServer.start` and may register
:meth:`WebServer.on_listening` callbacks (``setWebhook``): they run once the socket
accepts connections, so the platform's first push cannot find the port closed.
The server listens on ``WEBHOOK_LISTEN`` (or the webhook URL's host and port).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebServer:
    def __init__(self, host: str, port: int, client_max_size: int = 1024 * 1024) -> None:
        self.host = host
        self.port = port
        self._app = web.Application(client_max_size=client_max_size)
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

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        log.info("HTTP server listening on %s:%s", self.host, self.port)
        for callback in self._on_listening:
            await callback()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
