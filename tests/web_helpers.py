"""Shared set-up of the web page tests: a real HTTP server on 127.0.0.1 and a signed-in client."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.fakes.chat import ChatDriver

NAV = {"Sec-Fetch-Dest": "document"}  # what a browser sends when it follows a link


def server_app(app: Any) -> web.Application:
    from bot.web import build

    root = web.Application()
    root.add_subapp("/web", build(app))
    return root


async def client_for(app: Any) -> TestClient:
    client = TestClient(TestServer(server_app(app), host="127.0.0.1", port=0))
    await client.start_server()
    return client


def link_token(app: Any, user_key: str = "console:admin") -> str:
    from bot.web.auth import issue_link

    url = issue_link(app.engine, app.settings, app.clock, user_key)
    return url.split("t=", 1)[1]


async def sign_in(client: TestClient, app: Any, user_key: str = "console:admin") -> str:
    """Sign in through a fresh link; returns the CSRF token of the new session."""
    token = link_token(app, user_key)
    r = await client.get(f"/web/login?t={token}", headers=NAV, allow_redirects=False)
    assert r.status == 303, await r.text()
    r = await client.get("/web/registrations")
    assert r.status == 200
    return csrf_of(await r.text())


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


async def submit_report(
    chat: ChatDriver,
    app: Any,
    user: str,
    unit_name: str,
    year: int,
    file_id: int | None = None,
    **answers: Any,
) -> Any:
    """Register ``console:<user>`` to a unit (approved by the admin) and store one report version."""
    store = app.store
    await chat.send(user, "/start")
    u = store.get_user(f"console:{user}")
    unit = store.unit_by_name(unit_name)
    if store.approved_unit(u.id) is None:
        store.request_membership(u.id, unit.id, approved_by="console:admin")
    base = {
        "year": year,
        "models_count": 3,
        "model_names": "Mô hình A",
        "results": "Tốt",
        "funding": 150_000_000,
    }
    base.update(answers)
    return store.submit(
        unit_id=unit.id, year=year, answers=base, user_id=u.id, actor=f"console:{user}", file_id=file_id
    )
