"""The web pages over real HTTP (aiohttp's server on 127.0.0.1): every access rule, the pages' figures,
and the actions (approve, retire, review, due date) with their audit entries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event

from bot.messages import Attachment
from tests.web_helpers import NAV, client_for, link_token, sign_in, submit_report

PAGES = [
    "/web/",
    "/web/units",
    "/web/registrations",
    "/web/questions",
    "/web/reminders",
    "/web/audit",
    "/web/export",
]


@pytest.fixture
async def client(app: Any) -> Any:
    c = await client_for(app)
    try:
        yield c
    finally:
        await c.close()


# ------------------------------------------------------------------ access
async def test_without_a_session_pages_redirect_to_login_and_files_are_refused(client: Any, app: Any) -> None:
    for path in PAGES:
        r = await client.get(path, allow_redirects=False)
        assert r.status == 303 and r.headers["Location"] == "/web/login", path
    r = await client.get("/web/login")
    text = await r.text()
    assert r.status == 200 and "/web" in text and "directive-bot web link" in text
    for path in ("/web/files/1", "/web/downloads/export-xlsx?year=2025"):
        r = await client.get(path, allow_redirects=False)
        assert r.status == 403, path
    r = await client.post("/web/registrations/1", data={"decision": "approve"}, allow_redirects=False)
    assert r.status == 403


async def test_a_link_works_once_and_not_after_15_minutes(client: Any, app: Any, clock: Any) -> None:
    token = link_token(app)
    r = await client.get(f"/web/login?t={token}", headers=NAV, allow_redirects=False)
    assert r.status == 303
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    client.session.cookie_jar.clear()
    r = await client.get(f"/web/login?t={token}", headers=NAV, allow_redirects=False)
    assert r.status == 403 and "đã được dùng" in await r.text()
    assert (await client.get("/web/", allow_redirects=False)).status == 303  # no session was opened

    late = link_token(app)
    clock.advance(minutes=15, seconds=1)
    r = await client.get(f"/web/login?t={late}", headers=NAV, allow_redirects=False)
    assert r.status == 403
    r = await client.get("/web/login?t=forged-token", headers=NAV, allow_redirects=False)
    assert r.status == 403


async def test_a_link_preview_does_not_use_up_the_link(client: Any, app: Any) -> None:
    token = link_token(app)
    r = await client.get(f"/web/login?t={token}", allow_redirects=False)  # no Sec-Fetch-Dest: a crawler
    assert r.status == 200 and "Set-Cookie" not in r.headers
    r = await client.post("/web/login", data={"t": token}, allow_redirects=False)
    assert r.status == 303 and "Set-Cookie" in r.headers


async def test_forged_cookie_missing_csrf_and_logout(client: Any, app: Any) -> None:
    client.session.cookie_jar.update_cookies({"dbw_session": "forged"})
    assert (await client.get("/web/", allow_redirects=False)).status == 303
    csrf = await sign_in(client, app)
    assert (await client.get("/web/")).status == 200
    r = await client.post("/web/logout", data={}, allow_redirects=False)
    assert r.status == 403
    r = await client.post("/web/logout", data={"csrf": csrf + "x"}, allow_redirects=False)
    assert r.status == 403
    r = await client.post("/web/logout", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 303
    assert (await client.get("/web/", allow_redirects=False)).status == 303
    actions = [e.action for e in app.store.audit_entries()]
    assert "web.login" in actions and "web.logout" in actions


async def test_sessions_expire_after_8_idle_hours_and_can_be_revoked(
    client: Any, app: Any, clock: Any
) -> None:
    from bot.web.auth import revoke_user

    await sign_in(client, app)
    clock.advance(hours=7, minutes=59)
    assert (await client.get("/web/")).status == 200  # the request resets the idle timer
    clock.advance(hours=7, minutes=59)
    assert (await client.get("/web/", allow_redirects=False)).status == 200
    clock.advance(hours=8, minutes=1)
    assert (await client.get("/web/", allow_redirects=False)).status == 303
    await sign_in(client, app)
    assert revoke_user(app.engine, app.clock, "console:admin") >= 1
    assert (await client.get("/web/", allow_redirects=False)).status == 303


async def test_only_admins_and_the_standing_office_get_in(client: Any, app: Any, chat: Any) -> None:
    from bot.web.auth import NotAllowed, issue_link

    await submit_report(chat, app, "so_y_te", "Sở Y tế", 2025)
    with pytest.raises(NotAllowed):
        issue_link(app.engine, app.settings, app.clock, "console:so_y_te")
    replies = await chat.say("so_y_te", "/web")
    assert "chỉ dành cho quản trị viên" in replies and "/web/login" not in replies

    office = next(u for u in app.store.list_units() if u.standing_office)
    await chat.send("cat", "/start")
    cat = app.store.get_user("console:cat")
    app.store.request_membership(cat.id, office.id, approved_by="console:admin")
    reply = await chat.say("cat", "/web")
    assert "http://" in reply and "/web/login?t=" in reply
    await sign_in(client, app, "console:cat")
    assert (await client.get("/web/")).status == 200
    # Moved to another unit: the next request is refused although the session row still exists.
    app.store.request_membership(cat.id, app.store.unit_by_name("Sở Y tế").id, approved_by="console:admin")
    assert (await client.get("/web/", allow_redirects=False)).status == 303
    assert (await client.get("/web/files/1", allow_redirects=False)).status == 403


async def test_login_attempts_are_rate_limited(client: Any, app: Any) -> None:
    statuses = []
    for _ in range(12):
        r = await client.get("/web/login?t=nope", headers=NAV, allow_redirects=False)
        statuses.append(r.status)
    assert statuses[:10] == [403] * 10 and statuses[10:] == [429, 429]


async def test_security_headers(client: Any, app: Any) -> None:
    await sign_in(client, app)
    for path in ["/web/login", *PAGES]:
        r = await client.get(path)
        assert r.status == 200, path
        csp = r.headers["Content-Security-Policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Cache-Control"] == "no-store"
        assert "<script" not in await r.text() and "style=" not in await r.text()


# ------------------------------------------------------------------ pages
async def test_overview_matches_the_export(client: Any, app: Any, chat: Any, clock: Any) -> None:
    from bot.export import export

    await submit_report(chat, app, "yte", "Sở Y tế", 2025, funding=1_500_000_000, models_count=4)
    clock.advance(days=300)  # after the default due date: late
    await submit_report(chat, app, "ba_to", "UBND huyện Ba Tơ", 2025, funding=250_000_000, models_count=2)
    await csrf_login(client, app)
    html = await (await client.get("/web/?year=2025")).text()
    doc = json.loads(export(app, 2025, "json"))
    assert f'id="submitted">{doc["submitted"]}/{doc["units"]}<' in html
    assert 'id="on-time">1<' in html and 'id="late">1<' in html
    assert f'id="missing">{doc["units"] - doc["submitted"]}<' in html
    assert "1.750.000.000" in html  # funding total, Vietnamese format
    missing = [r["unit"] for r in doc["rows"] if not r["submitted"]]
    assert all(name in html for name in missing)
    assert "<svg" in html and "<rect" in html


async def csrf_login(client: Any, app: Any) -> str:
    return await sign_in(client, app)


async def test_unit_versions_diff_and_attachment(client: Any, app: Any, chat: Any) -> None:
    import hashlib

    data = "Báo cáo của Sở Y tế".encode() * 50
    stored = app.files.save(
        Attachment(filename="bao-cao.pdf", data=data, mime_type="application/pdf"), "console:yte"
    )
    await submit_report(chat, app, "yte", "Sở Y tế", 2025, models_count=3)
    await submit_report(chat, app, "yte", "Sở Y tế", 2025, file_id=stored.id, models_count=5)
    unit = app.store.unit_by_name("Sở Y tế")
    await sign_in(client, app)
    html = await (await client.get(f"/web/units/{unit.id}?year=2025")).text()
    assert "Phiên bản 1" in html and "Phiên bản 2" in html and hashlib.sha256(data).hexdigest() in html
    html = await (await client.get(f"/web/units/{unit.id}/diff?year=2025&a=1&b=2")).text()
    assert 'class="changed"' in html and ">3<" in html and ">5<" in html
    r = await client.get(f"/web/files/{stored.id}")
    assert r.status == 200 and r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(await r.read()).hexdigest() == stored.sha256
    assert (await client.get("/web/files/999")).status == 404
    assert (await client.get(f"/web/units/{unit.id}/diff?year=2025&a=1&b=9")).status == 400
    assert (await client.get("/web/units/99999")).status == 404
    assert any(e.action == "web.file.download" for e in app.store.audit_entries())


async def test_approve_reject_and_retire_tell_the_user(client: Any, app: Any, chat: Any) -> None:
    await chat.send("lan", "/dangky Sở Y tế")
    await chat.send("lan", choice=f"u:{app.store.unit_by_name('Sở Y tế').id}")
    (m, _user, _unit) = app.store.pending_requests()[0]
    csrf = await sign_in(client, app)
    html = await (await client.get("/web/registrations")).text()
    assert f'id="m{m.id}"' in html
    r = await client.post(f"/web/registrations/{m.id}", data={"csrf": csrf, "decision": "approve"})
    assert r.status == 200 and "Đã duyệt" in await r.text()
    assert any("đã được duyệt" in t for t in chat.outbox("lan"))
    r = await client.post(f"/web/registrations/{m.id}", data={"csrf": csrf, "decision": "approve"})
    assert "không còn chờ duyệt" in await r.text()
    unit = app.store.unit_by_name("Sở Y tế")
    r = await client.post("/web/members/retire", data={"csrf": csrf, "user": "console:lan", "unit": unit.id})
    assert "Đã cho console:lan rời" in await r.text()
    assert app.store.approved_unit(app.store.get_user("console:lan").id) is None
    actions = [(e.actor, e.action) for e in app.store.audit_entries()]
    assert ("console:admin", "membership.approve") in actions and (
        "console:admin",
        "membership.retire",
    ) in actions


async def test_questions_grouped_and_reviewed(client: Any, app: Any) -> None:
    for q in ("Kinh phí năm 2026 là bao nhiêu?", "kinh phi nam 2026 la bao nhieu", "Ai ký văn bản 9999?"):
        app.store.log_question(
            user_key="console:x", unit_name=None, question=q, answer="…", confidence=0.0, answered=False
        )
    app.store.log_question(
        user_key="console:x", unit_name=None, question="Hạn nộp?", answer="…", confidence=0.9, answered=True
    )
    csrf = await sign_in(client, app)
    html = await (await client.get("/web/questions")).text()
    assert "× 2" in html and "× 1" in html and "Hạn nộp?" not in html
    ids = html.split('name="ids" value="')[1].split('"')[0]
    r = await client.post("/web/questions/review", data={"csrf": csrf, "ids": ids})
    assert "Đã đánh dấu 2" in await r.text()
    assert "× 2" not in await (await client.get("/web/questions")).text()


async def test_change_due_date_like_hanbaocao(client: Any, app: Any) -> None:
    from sqlmodel import Session

    from bot.reminders import state
    from bot.reminders.obligations import for_app

    ob = for_app(app).unit_report
    csrf = await sign_in(client, app)
    r = await client.post(
        "/web/reminders/due", data={"csrf": csrf, "obligation": ob.id, "year": "2025", "due": "05/12/2025"}
    )
    assert r.status == 200 and "05/12/2025" in await r.text()
    with Session(app.engine) as s:
        assert state.due_date(s, ob, 2025)[0].isoformat() == "2025-12-05"
    r = await client.post(
        "/web/reminders/due", data={"csrf": csrf, "obligation": ob.id, "year": "2025", "due": "31/02/2025"}
    )
    assert "05/12/2025" in await r.text()  # refused with a message; the date stays
    html = await (await client.get("/web/audit?action=reminders.set_due&actor=console:admin")).text()
    assert html.count("<td>reminders.set_due</td>") == 1 and "2025-12-05" in html
    html = await (await client.get("/web/audit?action=web.login")).text()
    assert "reminders.set_due</td>" not in html


async def test_export_download(client: Any, app: Any) -> None:
    import io

    from openpyxl import load_workbook

    await sign_in(client, app)
    r = await client.get("/web/downloads/export-xlsx?year=2025")
    assert r.status == 200 and r.headers["Content-Disposition"] == 'attachment; filename="tong-hop-2025.xlsx"'
    wb = load_workbook(io.BytesIO(await r.read()))
    assert wb.active.max_row == len(app.store.list_units()) + 1
    assert (await client.get("/web/downloads/nope")).status == 404


async def test_query_count_does_not_grow_with_units(client: Any, app: Any, chat: Any) -> None:
    await submit_report(chat, app, "yte", "Sở Y tế", 2025)
    await sign_in(client, app)
    unit = app.store.unit_by_name("Sở Y tế")

    async def count(path: str) -> int:
        n = 0

        def on(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
            nonlocal n
            # Settings reads come and go with the store's time-based cache (real seconds): not per unit.
            n += "from setting" not in statement.lower()

        event.listen(app.engine, "before_cursor_execute", on)
        try:
            assert (await client.get(path)).status == 200
        finally:
            event.remove(app.engine, "before_cursor_execute", on)
        return n

    paths = ["/web/?year=2025", "/web/units?year=2025", f"/web/units/{unit.id}?year=2025"]
    for p in paths:  # warm the settings cache (years) so both rounds read the same
        await count(p)
    before = [await count(p) for p in paths]
    for i in range(60):
        app.store.add_unit(f"UBND xã Thử Nghiệm {i}", "district", "console:admin")
    await submit_report(chat, app, "xa0", "UBND xã Thử Nghiệm 0", 2025)
    after = [await count(p) for p in paths]
    assert before == after, (before, after)
    assert max(after) <= 12


def test_web_settings_are_validated_with_the_variable_named() -> None:
    from bot.config import ConfigError, Settings

    s = Settings.from_env(
        {"WEB_LISTEN": "0.0.0.0:9000", "WEB_BASE_URL": "https://bcd.example.vn/"}, check_paths=False
    )
    assert s.web_listen == "0.0.0.0:9000" and s.web_base_url == "https://bcd.example.vn"
    assert s.listen_address() == ("0.0.0.0", 9000)
    for env, name in (
        ({"WEB_LISTEN": "9000"}, "WEB_LISTEN"),
        ({"WEB_BASE_URL": "bcd.example.vn"}, "WEB_BASE_URL"),
        ({"WEB_LISTEN": "127.0.0.1:1", "WEBHOOK_LISTEN": "127.0.0.1:2"}, "WEBHOOK_LISTEN"),
    ):
        with pytest.raises(ConfigError, match=name):
            Settings.from_env(env, check_paths=False)


async def test_secure_cookie_when_the_base_url_is_https(app: Any) -> None:
    import dataclasses

    app.settings = dataclasses.replace(app.settings, web_base_url="https://bcd.example.vn")
    c = await client_for(app)
    try:
        r = await c.get(f"/web/login?t={link_token(app)}", headers=NAV, allow_redirects=False)
        assert r.status == 303 and "Secure" in r.headers["Set-Cookie"]
    finally:
        await c.close()
