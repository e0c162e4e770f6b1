"""/trangthai: a member sees their own unit's status for the year; an admin sees every unit."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.codec import Arg, ArgError, ArgSpec
from bot.context import Context
from bot.messages import Reply
from bot.overview_pages import parse_view, status_lines, status_reply
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
    """The whole admin overview as one text (paged in chat: :func:`bot.overview_pages.status_reply`)."""
    head, body = status_lines(app, year, rows)
    return "\n".join(head + body)


@router.command(
    "trangthai", description="Tình hình nộp báo cáo", keywords=("trạng thái", "tình hình"), args=TRANGTHAI
)
async def status(ctx: Context) -> Reply:
    store = ctx.app.store
    if ctx.is_admin:  # paged: /trangthai [NĂM] [nhom NHÓM] [trang SỐ]
        view = parse_view(ctx.args, ctx.app.reporting_year(), "trangthai")
        if isinstance(view, str):
            return Reply(view)
        reply: Reply = await ctx.app.db.run(status_reply, ctx.app, view, heavy=True)
        return reply
    year, error = parse_year(ctx)
    if year is None:
        return Reply(error)
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
