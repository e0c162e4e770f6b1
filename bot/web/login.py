"""Signing in with a single-use link, and out.

``GET /web/login?t=…`` from a browser's own navigation (``Sec-Fetch-Dest: document``) signs in
at once; any other fetch of the link (a chat app building a link preview, a crawler) only gets
a page with a button that posts the token, so a preview never uses up the link.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.web import auth
from bot.web.render import page
from bot.web.security import APP_KEY, COOKIE, LIMITER_KEY, PERSON, SESSION

routes = web.RouteTableDef()


def _client(request: web.Request) -> str:
    return request.remote or "?"


def _secure(app: Any) -> bool:
    return auth.base_url(app.settings).startswith("https://")


async def _sign_in(request: web.Request, token: str) -> web.StreamResponse:
    app = request.app[APP_KEY]
    if not request.app[LIMITER_KEY].allow(_client(request)):  # type: ignore[attr-defined]
        return page(request, "login.html", status=429, problem="too_many")
    user_key = await asyncio.to_thread(auth.consume_link, app.engine, app.clock, token)
    person = None
    if user_key is not None:
        person = await asyncio.to_thread(auth.allowed, app.engine, app.settings, user_key)
    if person is None:
        await asyncio.to_thread(
            app.store.audit, user_key or "?", "web.login.refused", {"ip": _client(request)}
        )
        return page(request, "login.html", status=403, problem="bad_link")
    cookie, _session = await asyncio.to_thread(auth.open_session, app.engine, app.clock, person.key)
    await asyncio.to_thread(app.store.audit, person.key, "web.login", {"ip": _client(request)})
    response = web.HTTPSeeOther("/web/")
    response.set_cookie(
        COOKIE,
        cookie,
        path="/web",
        httponly=True,
        samesite="Lax",
        secure=_secure(app),
        max_age=int(auth.SESSION_IDLE.total_seconds()),
    )
    return response


@routes.get("/login")
async def login_page(request: web.Request) -> web.StreamResponse:
    token = request.query.get("t", "")
    if not token:
        return page(request, "login.html", request_out=bool(request.query.get("out")))
    if request.headers.get("Sec-Fetch-Dest") == "document":
        return await _sign_in(request, token)
    return page(request, "login.html", token=token)


@routes.post("/login")
async def login_post(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    return await _sign_in(request, str(form.get("t", "")))


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    app = request.app[APP_KEY]
    await asyncio.to_thread(auth.revoke, app.engine, app.clock, request[SESSION].id)
    await asyncio.to_thread(app.store.audit, request[PERSON].key, "web.logout", {})
    response = web.HTTPSeeOther("/web/login?out=1")
    response.del_cookie(COOKIE, path="/web")
    return response
