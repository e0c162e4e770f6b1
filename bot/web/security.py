"""Middlewares of the web pages: security headers, the session gate, CSRF, the login rate limit.

- Every response: a CSP with no inline script or style, ``X-Frame-Options: DENY``, ``nosniff``,
  ``Referrer-Policy: no-referrer`` (a login URL never leaks to another site); every page but the
  stylesheet ``Cache-Control: no-store``.
- Every path but the login page and the stylesheet needs a live session of a person who may use
  the pages (checked again on every request): pages redirect to the login page, downloads get 403.
- Every POST must carry the session's CSRF token (403 otherwise).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.web import auth

COOKIE = "dbw_session"
PUBLIC = ("/web/login", "/web/static/")
FILES = ("/web/files/", "/web/downloads/")
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

APP_KEY: web.AppKey[Any] = web.AppKey("bot_app")  # the bot's App
LIMITER_KEY: web.AppKey[Any] = web.AppKey("limiter")
SESSION = web.RequestKey("session", auth.SessionInfo)
PERSON = web.RequestKey("person", auth.Person)
FORM: web.RequestKey[Any] = web.RequestKey("form")  # the POSTed form, read once by the gate


class RateLimiter:
    """At most ``limit`` login attempts per client address within ``window`` seconds."""

    def __init__(self, limit: int = 10, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self.hits: dict[str, deque[float]] = {}

    def allow(self, who: str) -> bool:
        now = time.monotonic()
        q = self.hits.setdefault(who, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        if len(self.hits) > 10_000:  # forget idle clients
            self.hits = {k: v for k, v in self.hits.items() if v and now - v[-1] <= self.window}
        return True


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not request.path.startswith("/web/static/"):
        response.headers["Cache-Control"] = "no-store"
    if isinstance(response, web.HTTPException):
        raise response
    return response


def _deny(request: web.Request, why: str) -> web.HTTPException:
    if request.method != "GET" or request.path.startswith(FILES):
        return web.HTTPForbidden(text=f"403: {why}")
    return web.HTTPSeeOther("/web/login")


@web.middleware
async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(PUBLIC):
        return await handler(request)
    app: Any = request.app[APP_KEY]
    cookie = request.cookies.get(COOKIE, "")
    session = await asyncio.to_thread(auth.find_session, app.engine, app.clock, cookie) if cookie else None
    if session is None:
        raise _deny(request, "Chưa đăng nhập hoặc phiên đã hết hạn.")
    person = await asyncio.to_thread(auth.allowed, app.engine, app.settings, session.user_key)
    if person is None:
        raise _deny(request, "Bạn không có quyền xem trang này.")
    if request.method == "POST":
        form = await request.post()
        if not auth.same_secret(str(form.get("csrf", "")), session.csrf):
            raise web.HTTPForbidden(
                text="403: Thiếu hoặc sai mã chống giả mạo (CSRF). Tải lại trang rồi thử lại."
            )
        request[FORM] = form
    request[SESSION] = session
    request[PERSON] = person
    return await handler(request)
