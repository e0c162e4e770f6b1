"""The standing office's web pages, served by the bot's one aiohttp server under ``/web``.

``mount(app, server)`` adds them to a :class:`bot.http.WebServer`; ``build(app)`` returns the
aiohttp application alone (tests). Modules: :mod:`.auth` (links, sessions, who may enter),
:mod:`.security` (headers, session gate, CSRF, rate limit), :mod:`.login`, :mod:`.pages`
(reading), :mod:`.actions` (work pages), :mod:`.data` and :mod:`.office` (queries),
:mod:`.render` (Jinja2, SVG chart), :mod:`.downloads` (the Xuất page's registry).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.web.security import APP_KEY, LIMITER_KEY, RateLimiter, gate, headers

STATIC = __import__("pathlib").Path(__file__).resolve().parent / "static"


def build(app: Any) -> web.Application:
    from bot.web import actions, login, pages
    from bot.web.downloads import load_providers

    load_providers()
    sub = web.Application(middlewares=[headers, gate])
    sub[APP_KEY] = app
    sub[LIMITER_KEY] = RateLimiter()
    sub.add_routes(login.routes)
    sub.add_routes(pages.routes)
    sub.add_routes(actions.routes)
    sub.router.add_static("/static/", STATIC)
    return sub


def mount(app: Any, server: Any) -> None:
    """Serve the pages on ``server`` under ``/web`` (``/`` redirects there)."""
    server.add_subapp("/web", build(app))

    async def root(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/web/")

    server.add_get("/", root)
