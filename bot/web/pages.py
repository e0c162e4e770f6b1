"""The reading pages: overview, units, a unit's versions and their difference, attachments, audit log."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.web import data
from bot.web.render import page
from bot.web.security import APP_KEY, PERSON

routes = web.RouteTableDef()


def bot_app(request: web.Request) -> Any:
    return request.app[APP_KEY]


def int_param(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name, "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 9:
        return int(raw)
    return None


def year_of(request: web.Request) -> tuple[int, list[int]]:
    """The year asked for (?year=) when it is one of the open years, else the reporting year."""
    app = bot_app(request)
    years = app.open_years()
    year = int_param(request, "year")
    chosen: int = year if year is not None and year in years else app.reporting_year()
    return chosen, years


def audit(request: web.Request, action: str, **detail: Any) -> Any:
    """Record a person's action (in a thread: the caller awaits it)."""
    app = bot_app(request)
    person = request[PERSON]
    return asyncio.to_thread(app.store.audit, person.key, action, {"via": "web", **detail})


@routes.get("/")
async def overview(request: web.Request) -> web.Response:
    app = bot_app(request)
    year, years = year_of(request)
    ov = await asyncio.to_thread(data.build_overview, app, year)
    return page(request, "overview.html", nav="overview", ov=ov, year=year, years=years, app=app, data=data)


@routes.get("/units")
async def units(request: web.Request) -> web.Response:
    app = bot_app(request)
    year, years = year_of(request)
    ov = await asyncio.to_thread(data.build_overview, app, year)
    return page(request, "units.html", nav="units", ov=ov, year=year, years=years, app=app, data=data)


def _unit_or_404(app: Any, unit_id: int) -> Any:
    unit = data.get_unit(app, unit_id)
    if unit is None:
        raise web.HTTPNotFound(text="404: Không có đơn vị này.")
    return unit


@routes.get("/units/{unit_id:\\d{1,9}}")
async def unit(request: web.Request) -> web.Response:
    app = bot_app(request)
    unit_id = int(request.match_info["unit_id"])
    year, years = year_of(request)

    def load() -> tuple[Any, list[data.Version], dict[int, int]]:
        return (
            _unit_or_404(app, unit_id),
            data.unit_versions(app, unit_id, year),
            data.unit_years(app, unit_id),
        )

    u, versions, counts = await asyncio.to_thread(load)
    return page(
        request,
        "unit.html",
        nav="units",
        unit=u,
        versions=versions,
        counts=counts,
        year=year,
        years=years,
        app=app,
        data=data,
    )


@routes.get("/units/{unit_id:\\d{1,9}}/diff")
async def unit_diff(request: web.Request) -> web.Response:
    app = bot_app(request)
    unit_id = int(request.match_info["unit_id"])
    year, years = year_of(request)
    a, b = int_param(request, "a"), int_param(request, "b")

    def load() -> tuple[Any, list[data.Version]]:
        return _unit_or_404(app, unit_id), data.unit_versions(app, unit_id, year)

    u, versions = await asyncio.to_thread(load)
    by_no = {v.version: v for v in versions}
    if a not in by_no or b not in by_no:
        raise web.HTTPBadRequest(text="400: Chọn hai phiên bản có trong năm này để so sánh.")
    old, new = sorted((by_no[a], by_no[b]), key=lambda v: v.version)  # type: ignore[index]
    return page(
        request,
        "diff.html",
        nav="units",
        unit=u,
        old=old,
        new=new,
        rows=data.diff(app, old, new),
        year=year,
        years=years,
        app=app,
        data=data,
    )


@routes.get("/files/{file_id:\\d{1,9}}")
async def download_file(request: web.Request) -> web.StreamResponse:
    from urllib.parse import quote

    app = bot_app(request)
    file_id = int(request.match_info["file_id"])
    row = await asyncio.to_thread(data.get_file, app, file_id)
    if row is None:
        raise web.HTTPNotFound(text="404: Không có tệp này.")

    def read() -> bytes:
        return app.files.read(row)  # type: ignore[no-any-return]

    try:
        body = await asyncio.to_thread(read)
    except OSError as exc:
        raise web.HTTPGone(
            text="410: Tệp không còn đọc được trên máy chủ (thiếu hoặc sai mã kiểm tra)."
        ) from exc
    await audit(request, "web.file.download", file_id=file_id, sha256=row.sha256)
    ascii_name = row.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return web.Response(
        body=body,
        content_type=row.mime_type or "application/octet-stream",
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row.filename)}"
            ),
            "X-Content-SHA256": row.sha256,
        },
    )


@routes.get("/audit")
async def audit_log(request: web.Request) -> web.Response:
    app = bot_app(request)
    action = request.query.get("action", "").strip()[:60]
    actor = request.query.get("actor", "").strip()[:200]
    before = int_param(request, "before")

    def load() -> tuple[list[Any], list[str]]:
        return data.audit(app, action, actor, before), data.audit_actions(app)

    rows, actions = await asyncio.to_thread(load)
    return page(
        request,
        "audit.html",
        nav="audit",
        rows=rows,
        actions=actions,
        action=action,
        actor=actor,
        app=app,
        data=data,
        page_size=data.AUDIT_PAGE,
    )
