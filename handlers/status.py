"""/trangthai: a member sees their own unit's status for the year; an admin sees every unit."""

from __future__ import annotations

import asyncio
from typing import Any

from bot import forms
from bot.codec import Arg, ArgError, ArgSpec
from bot.context import Context
from bot.lateness import due_in_force, is_late
from bot.messages import Reply
from bot.overview_pages import parse_view, status_lines, status_reply
from bot.router import Router
from bot.storage.models import Submission, Unit, User

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
    if ctx.is_admin:  # paged: /trangthai [NĂM] [nhom NHÓM] [trang SỐ]
        view = parse_view(ctx.args, ctx.app.reporting_year(), "trangthai")
        if isinstance(view, str):
            return Reply(view)
        reply: Reply = await ctx.app.db.run(status_reply, ctx.app, view, heavy=True)
        return reply
    year, error = parse_year(ctx)
    if year is None:
        return Reply(error)
    unit, why = await member_unit(ctx)
    if unit is None:
        return Reply(why)
    return Reply(await _member_status(ctx, unit, year))


async def member_unit(ctx: Context) -> tuple[Unit | None, str]:
    store = ctx.app.store
    unit = await asyncio.to_thread(store.approved_unit, ctx.user_id)
    if unit is not None:
        return unit, ""
    m = await asyncio.to_thread(store.current_membership, ctx.user_id)
    if m is not None and m.status == "pending":
        return None, "Yêu cầu tham gia đơn vị của bạn đang chờ duyệt. Khi được duyệt, bạn xem được tình hình."
    return None, "Bạn chưa là thành viên của đơn vị nào. Gõ /dangky để đăng ký."


async def _member_status(ctx: Context, unit: Unit, year: int) -> str:
    store = ctx.app.store
    assert unit.id is not None
    versions = await asyncio.to_thread(store.submissions, unit.id, year)
    if not versions:
        return f"{unit.name} chưa nộp báo cáo năm {year}. Gõ /baocao để nộp."
    sub = versions[-1]
    due = await asyncio.to_thread(due_in_force, ctx.app, year)
    late = is_late(ctx.app, versions[0].submitted_at, due)
    who = await asyncio.to_thread(store.get_user_by_id, sub.submitted_by_user_id)
    mark = f" Nộp muộn (hạn {due.strftime('%d/%m/%Y')})." if late else ""
    return (
        f"{unit.name} đã nộp báo cáo năm {year}: phiên bản {sub.version}, "
        f"lúc {ctx.app.local_time(sub.submitted_at)}, người nộp: {person(who)}.{mark}\n"
        f"Gõ /baocaocuatoi {year} để xem nội dung."
    )


def person(user: User | None) -> str:
    if user is None:
        return "?"
    if user.full_name:
        return f"{user.full_name} ({user.position})" if user.position else user.full_name
    return user.display_name or user.key


# ------------------------------------------------------------ /baocaocuatoi
XEM = ArgSpec(
    "baocaocuatoi",
    (Arg("year", "year", optional=True), Arg("version", "id", optional=True)),
    "Cú pháp: /baocaocuatoi [NĂM] [PHIÊN BẢN], ví dụ /baocaocuatoi 2024 hoặc /baocaocuatoi 2024 1.",
)


@router.command(
    "baocaocuatoi",
    description="Xem báo cáo đơn vị đã nộp (bản mới nhất và các bản trước)",
    keywords=("báo cáo của tôi", "xem báo cáo", "báo cáo đã nộp", "bao cao cua toi"),
    args=XEM,
)
async def my_reports(ctx: Context) -> Reply:
    try:
        parsed = XEM.parse(ctx.args)
    except ArgError as exc:
        return Reply(str(exc))
    unit, why = await member_unit(ctx)
    if unit is None:
        return Reply(why)
    assert unit.id is not None
    all_versions = await asyncio.to_thread(ctx.app.store.submissions, unit.id, parsed["year"])
    if not all_versions:
        when = f" năm {parsed['year']}" if parsed["year"] else ""
        return Reply(f"{unit.name} chưa nộp báo cáo{when}. Gõ /baocao để nộp.")
    year = parsed["year"] or max(s.year for s in all_versions)
    versions = sorted((s for s in all_versions if s.year == year), key=lambda s: s.version)
    wanted = parsed["version"]
    shown = next((s for s in versions if s.version == wanted), None) if wanted else versions[-1]
    if shown is None:
        return Reply(f"Không có phiên bản {wanted} của báo cáo năm {year} (có {len(versions)} phiên bản).")
    return Reply(await _show_submission(ctx, unit, shown, versions))


async def _show_submission(ctx: Context, unit: Unit, shown: Submission, versions: list[Submission]) -> str:
    due = await asyncio.to_thread(due_in_force, ctx.app, shown.year)
    late = is_late(ctx.app, versions[0].submitted_at, due)
    header = (
        f"Báo cáo năm {shown.year} của {unit.name}, phiên bản {shown.version}/{len(versions)} "
        f"(nộp lúc {ctx.app.local_time(shown.submitted_at)}" + (", nộp muộn" if late else "") + "):"
    )
    text = forms.summary(ctx.app.form, shown.answers or {}, header=header, limit=600)
    lines = [text]
    if len(versions) > 1:
        lines.append("")
        lines.append("Các phiên bản:")
        for s in reversed(versions):
            who = await asyncio.to_thread(ctx.app.store.get_user_by_id, s.submitted_by_user_id)
            lines.append(f"  {s.version}. {ctx.app.local_time(s.submitted_at)} — {person(who)}")
        lines.append(f"Xem một bản: /baocaocuatoi {shown.year} SỐ. Sửa: /baocao rồi chọn năm {shown.year}.")
    return "\n".join(lines)
