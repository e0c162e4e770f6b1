"""/trangthai: a member sees their own unit's status for the year; an admin sees every unit."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.codec import Arg, ArgError, ArgSpec
from bot.context import Context
from bot.export import category_counts, overview
from bot.messages import Reply
from bot.router import Router

router = Router("status")


def year_spec(command: str) -> ArgSpec:
    """``/command [NĂM]``: the one optional year argument of the overview commands."""
    return ArgSpec(
        command,
        (Arg("year", "year", optional=True),),
        f"Năm phải là số có 4 chữ số, ví dụ: /{command} 2024.",
    )


TRANGTHAI = year_spec("trangthai")


def parse_year(ctx: Context, spec: ArgSpec = TRANGTHAI) -> tuple[int | None, str]:
    """The year in ``ctx.args`` (default: the current reporting year), or an error text."""
    try:
        year = spec.parse(ctx.args)["year"]
    except ArgError:
        return None, spec.usage
    return (year if year is not None else ctx.app.reporting_year()), ""


def admin_status(app: Any, year: int, rows: list[Any]) -> str:
    done = sum(1 for r in rows if r.submitted)
    lines = [f"Tình hình nộp báo cáo năm {year}: {done}/{len(rows)} đơn vị đã nộp."]
    for cat, sub, total in category_counts(rows):
        lines.append(f"• {app.category_label(cat)}: {sub}/{total}")
    missing = [r for r in rows if not r.submitted]
    if missing:
        lines.append("")
        lines.append(f"Chưa nộp ({len(missing)}):")
        current = None
        for r in missing:
            if r.unit.category != current:
                current = r.unit.category
                lines.append(f"[{app.category_label(current)}]")
            lines.append(f"  - {r.unit.name}")
    submitted = [r for r in rows if r.submitted]
    if submitted:
        lines.append("")
        lines.append(f"Đã nộp ({len(submitted)}):")
        for r in submitted:
            s = r.submission
            lines.append(f"  - {r.unit.name}: phiên bản {s.version}, {app.local_time(s.submitted_at)}")
    return "\n".join(lines)


@router.command(
    "trangthai", description="Tình hình nộp báo cáo", keywords=("trạng thái", "tình hình"), args=TRANGTHAI
)
async def status(ctx: Context) -> Reply:
    year, error = parse_year(ctx)
    if year is None:
        return Reply(error)
    store = ctx.app.store
    if ctx.is_admin:
        rows = await asyncio.to_thread(overview, store, year)
        return Reply(admin_status(ctx.app, year, rows))
    unit = await asyncio.to_thread(store.approved_unit, ctx.user_id)
    if unit is None:
        m = await asyncio.to_thread(store.current_membership, ctx.user_id)
        if m is not None and m.status == "pending":
            return Reply(
                "Yêu cầu tham gia đơn vị của bạn đang chờ duyệt. Khi được duyệt, bạn xem được tình hình."
            )
        return Reply("Bạn chưa là thành viên của đơn vị nào. Gõ /dangky để đăng ký.")
    assert unit.id is not None
    sub = await asyncio.to_thread(store.latest_submission, unit.id, year)
    if sub is None:
        return Reply(f"{unit.name} chưa nộp báo cáo năm {year}. Gõ /baocao để nộp.")
    who = await asyncio.to_thread(store.get_user_by_id, sub.submitted_by_user_id)
    by = (who.display_name or who.key) if who else "?"
    return Reply(
        f"{unit.name} đã nộp báo cáo năm {year}: phiên bản {sub.version}, "
        f"lúc {ctx.app.local_time(sub.submitted_at)}, người nộp: {by}."
    )
