"""Admin tools: /tonghop (compiled overview), /thongbao (broadcast), /monam (open a reporting year),
/xuatbaocao (the overview as an Excel file)."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.app import SETTING_CURRENT_YEAR, SETTING_OPEN_YEARS
from bot.context import Context
from bot.export import export
from bot.messages import OutFile, Outgoing, Reply
from bot.overview_pages import compiled_lines, compiled_reply, parse_view
from bot.router import Router
from handlers.status import parse_year, year_spec

router = Router("admin")

MAX_BROADCAST = 1500  # characters: fits one Zalo message (2,000) with the header
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def compile_overview(app: Any, year: int, rows: list[Any]) -> str:
    """The whole compiled overview as one text (paged in chat: :func:`bot.overview_pages.compiled_reply`)."""
    head, body = compiled_lines(app, year, rows)
    return "\n".join(head + body)


TONGHOP, XUAT = year_spec("tonghop"), year_spec("xuatbaocao")


@router.command(
    "tonghop", description="Tổng hợp kết quả theo năm", keywords=("tổng hợp",), admin=True, args=TONGHOP
)
async def compiled(ctx: Context) -> Reply:
    view = parse_view(ctx.args, ctx.app.reporting_year(), "tonghop")  # [NĂM] [nhom NHÓM] [trang SỐ]
    if isinstance(view, str):
        return Reply(view)
    reply: Reply = await ctx.app.db.run(compiled_reply, ctx.app, view, heavy=True)
    return reply


@router.command(
    "xuatbaocao", description="Xuất tổng hợp ra tệp Excel", keywords=("xuất báo cáo",), admin=True, args=XUAT
)
async def export_xlsx(ctx: Context) -> Reply:
    year, error = parse_year(ctx, XUAT)
    if year is None:
        return Reply(error)
    data = await ctx.app.db.run(export, ctx.app, year, "xlsx", heavy=True)
    await asyncio.to_thread(ctx.app.store.audit, ctx.msg.user_key, "export", {"year": year, "format": "xlsx"})
    return Reply(f"Tổng hợp báo cáo năm {year}.", files=[OutFile(f"tong-hop-{year}.xlsx", data, XLSX)])


@router.command("thongbao", description="Gửi thông báo tới mọi thành viên", admin=True)
async def broadcast(ctx: Context) -> Reply:
    text = ctx.args.strip()
    if not text:
        return Reply("Cú pháp: /thongbao NỘI DUNG. Thông báo được gửi tới mọi thành viên đã được duyệt.")
    if len(text) > MAX_BROADCAST:
        return Reply(f"Thông báo quá dài ({len(text)} ký tự), tối đa {MAX_BROADCAST} ký tự.")
    store = ctx.app.store
    members = await ctx.app.db.run(store.members, heavy=True)
    seen: set[str] = set()
    outs = []
    reply = Reply(f"📢 Thông báo:\n{text}")
    for user, _unit in members:
        if user.key in seen:
            continue
        seen.add(user.key)
        outs.append(Outgoing(user.channel, user.chat_id, reply, user.key))
    await asyncio.to_thread(
        store.audit, ctx.msg.user_key, "broadcast", {"text": text, "recipients": len(outs)}
    )
    if not outs:
        return Reply("Chưa có thành viên nào được duyệt để nhận thông báo.")
    results = await ctx.app.outbox.send_many(outs)
    queued = sum(1 for r in results if r.status == "queued")
    if queued:  # a durable turn (bot.durable): written to the outbox, sent after this reply is saved
        await asyncio.to_thread(store.audit, ctx.msg.user_key, "broadcast.queued", {"queued": queued})
        return Reply(
            f"Đã xếp thông báo vào hàng gửi tới {queued}/{len(outs)} thành viên; "
            "tin được gửi dần theo giới hạn tốc độ của kênh."
        )
    sent = sum(1 for r in results if r.status == "sent")
    blocked = sum(1 for r in results if r.status == "blocked")
    failed = len(results) - sent - blocked
    summary = f"Đã gửi thông báo tới {sent}/{len(outs)} thành viên."
    if blocked:
        summary += f" {blocked} người đã chặn bot (đã ngừng gửi cho họ)."
    if failed:
        summary += f" {failed} tin gửi lỗi."
    await asyncio.to_thread(
        store.audit,
        ctx.msg.user_key,
        "broadcast.result",
        {"sent": sent, "blocked": blocked, "failed": failed},
    )
    return Reply(summary)


@router.command("monam", description="Mở một năm báo cáo và đặt làm năm mặc định", admin=True)
async def open_year(ctx: Context) -> Reply:
    app = ctx.app
    arg = ctx.args.strip()
    if not arg:
        years = ", ".join(str(y) for y in app.open_years())
        return Reply(
            f"Năm báo cáo mặc định: {app.reporting_year()}. Các năm đang mở: {years}.\n"
            "Cú pháp: /monam NĂM (ví dụ /monam 2026) để mở năm đó và đặt làm mặc định."
        )
    if not (arg.isdecimal() and len(arg) == 4 and 2000 <= int(arg) <= 2100):
        return Reply("Năm phải là số có 4 chữ số trong khoảng 2000–2100, ví dụ /monam 2026.")
    year = int(arg)
    store = app.store
    extra = list(await asyncio.to_thread(store.get_setting, SETTING_OPEN_YEARS, []) or [])
    start, end = app.period
    if not start <= year <= end and year not in extra:
        extra.append(year)
        await asyncio.to_thread(store.set_setting, SETTING_OPEN_YEARS, sorted(extra), ctx.msg.user_key)
    await asyncio.to_thread(store.set_setting, SETTING_CURRENT_YEAR, year, ctx.msg.user_key)
    app.schedule_changed()
    return Reply(f"Đã mở năm {year} và đặt làm năm báo cáo mặc định.")
