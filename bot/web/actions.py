"""The work pages: registrations (approve, reject, retire), unanswered questions, reminders, exports.

Each change goes through the same code as its chat command (``/duyet``, ``/hanbaocao``) and is
audit-logged with the person who made it; a POST answers with a redirect (303) to the page,
carrying a short notice in the query string.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.web import data, office
from bot.web.downloads import DOWNLOADS
from bot.web.pages import audit, bot_app, int_param, year_of
from bot.web.render import page
from bot.web.security import FORM, PERSON

routes = web.RouteTableDef()


def back(path: str, **query: Any) -> web.HTTPSeeOther:
    q = urlencode({k: v for k, v in query.items() if v not in (None, "")})
    return web.HTTPSeeOther(path + ("?" + q if q else ""))


def form_int(request: web.Request, name: str) -> int | None:
    raw = str(request[FORM].get(name, "")).strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


# ---------------------------------------------------------- registrations
@routes.get("/registrations")
async def registrations(request: web.Request) -> web.Response:
    app = bot_app(request)

    def load() -> tuple[list[Any], list[Any]]:
        return office.pending(app), office.members(app)

    pending, members = await asyncio.to_thread(load)
    return page(
        request,
        "registrations.html",
        nav="registrations",
        pending=pending,
        members=members,
        notice=request.query.get("msg", "")[:300],
        app=app,
        data=data,
    )


@routes.post("/registrations/{membership_id:\\d{1,9}}")
async def decide(request: web.Request) -> web.StreamResponse:
    from bot.store import StoreError
    from handlers.registration import decide_request

    app = bot_app(request)
    membership_id = int(request.match_info["membership_id"])
    verb = str(request[FORM].get("decision", ""))
    if verb not in ("approve", "reject"):
        raise web.HTTPBadRequest(text="400: Chọn Duyệt hoặc Từ chối.")
    try:
        text = await decide_request(app, membership_id, verb == "approve", request[PERSON].key)
    except StoreError as exc:
        text = str(exc)
    return back("/web/registrations", msg=text)


@routes.post("/members/retire")
async def retire(request: web.Request) -> web.StreamResponse:
    app = bot_app(request)
    user_key = str(request[FORM].get("user", ""))[:200]
    unit_id = form_int(request, "unit")
    if not user_key or unit_id is None:
        raise web.HTTPBadRequest(text="400: Thiếu người hoặc đơn vị.")
    name = await asyncio.to_thread(office.retire_member, app, user_key, unit_id, request[PERSON].key)
    if name is None:
        return back("/web/registrations", msg="Người này không còn là thành viên của đơn vị.")
    await app.notify(
        user_key, f"Bạn không còn là thành viên của {name} trên bot (Thường trực Ban Chỉ đạo đã cập nhật)."
    )
    app.schedule_changed()
    return back("/web/registrations", msg=f"Đã cho {user_key} rời {name}.")


# -------------------------------------------------------------- questions
@routes.get("/questions")
async def questions(request: web.Request) -> web.Response:
    app = bot_app(request)
    rows = await asyncio.to_thread(office.unanswered, app)
    groups = await asyncio.to_thread(office.group_questions, rows)
    return page(
        request,
        "questions.html",
        nav="questions",
        groups=groups,
        total=len(rows),
        notice=request.query.get("msg", "")[:300],
        app=app,
        data=data,
    )


@routes.post("/questions/review")
async def review(request: web.Request) -> web.StreamResponse:
    app = bot_app(request)
    raw = str(request[FORM].get("ids", ""))
    ids = [int(p) for p in raw.split(",") if p.isascii() and p.isdigit() and len(p) <= 9][:5000]
    n = await asyncio.to_thread(office.mark_reviewed, app, ids, request[PERSON].key)
    return back("/web/questions", msg=f"Đã đánh dấu {n} câu hỏi là đã xem.")


# -------------------------------------------------------------- reminders
@routes.get("/reminders")
async def reminders(request: web.Request) -> web.Response:
    app = bot_app(request)
    year, years = year_of(request)
    status = request.query.get("status", "")
    status = status if status in ("sent", "failed", "blocked", "claimed", "sending") else ""

    def load() -> tuple[list[data.Schedule], list[Any]]:
        return data.schedules(app, year), data.deliveries(app, year, status)

    scheds, rows = await asyncio.to_thread(load)
    return page(
        request,
        "reminders.html",
        nav="reminders",
        schedules=scheds,
        rows=rows,
        delivery_status=status,
        year=year,
        years=years,
        notice=request.query.get("msg", "")[:300],
        app=app,
        data=data,
        page_size=data.DELIVERY_PAGE,
    )


@routes.post("/reminders/due")
async def set_due(request: web.Request) -> web.StreamResponse:
    from bot.reminders import state
    from bot.reminders.obligations import for_app
    from bot.reminders.policy import PolicyError, fmt_date, parse_vn_date

    app = bot_app(request)
    form = request[FORM]
    year = form_int(request, "year")
    obligations = for_app(app)
    try:
        ob = obligations.get(str(form.get("obligation", "")))
        if year is None:
            raise PolicyError("Năm không hợp lệ.")
        new = parse_vn_date(str(form.get("due", "")))
        change = await asyncio.to_thread(
            state.set_due, app.engine, obligations, ob.id, year, new, request[PERSON].key
        )
    except KeyError:
        return back("/web/reminders", year=year, msg="Không có nghĩa vụ báo cáo này.")
    except PolicyError as exc:
        return back("/web/reminders", year=year, msg=str(exc))
    app.schedule_changed()
    msg = (
        f"Đã lưu: hạn “{change.obligation.title}” năm {year} là {fmt_date(change.new)} "
        f"(trước đây {fmt_date(change.old)})."
    )
    return back("/web/reminders", year=year, msg=msg)


# ---------------------------------------------------------------- exports
@routes.get("/export")
async def export_page(request: web.Request) -> web.Response:
    app = bot_app(request)
    year, years = year_of(request)
    return page(request, "export.html", nav="export", downloads=DOWNLOADS, year=year, years=years, app=app)


@routes.get("/downloads/{name}")
async def download(request: web.Request) -> web.StreamResponse:
    app = bot_app(request)
    item = next((d for d in DOWNLOADS if d.name == request.match_info["name"]), None)
    if item is None:
        raise web.HTTPNotFound(text="404: Không có tệp xuất này.")
    year, _years = year_of(request)
    if int_param(request, "year") not in (None, year):
        raise web.HTTPBadRequest(text="400: Năm này chưa được mở.")
    try:
        body = await asyncio.to_thread(item.build, app, year)
    except item.errors as exc:
        raise web.HTTPConflict(text=f"409: {exc}") from exc
    await audit(request, "web.export", name=item.name, year=year)
    return web.Response(
        body=body,
        content_type=item.content_type,
        headers={"Content-Disposition": f'attachment; filename="{item.filename(year)}"'},
    )
