"""Admin tools: /tonghop (compiled overview), /thongbao (broadcast), /monam (open a reporting year),
/xuatbaocao (the overview as an Excel file)."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.app import SETTING_CURRENT_YEAR, SETTING_OPEN_YEARS, App
from bot.codec import parse_year as year_of
from bot.context import Context
from bot.conversation import begin
from bot.durable.turn import current_turn_key
from bot.export import export
from bot.messages import Choice, OutFile, Outgoing, Reply
from bot.overview_pages import compiled_lines, compiled_reply, parse_view
from bot.router import HandlerResult, Router
from bot.storage.models import Unit, User
from bot.text import fold, thousands
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


BROADCAST_FLOW = "broadcast"
broadcast_flow = router.steps(BROADCAST_FLOW, "confirm", title="gửi thông báo")
SEND, DROP = "send", "drop"
THONGBAO_USAGE = (
    "Cú pháp: /thongbao NỘI DUNG — gửi tới mọi thành viên đã được duyệt; "
    "/thongbao chuanop NĂM NỘI DUNG — chỉ gửi tới thành viên các đơn vị chưa nộp báo cáo năm đó. "
    "Bot cho xem trước và hỏi xác nhận trước khi gửi."
)


def _target(args: str) -> tuple[int | None, str]:
    """``chuanop 2025 NỘI DUNG`` / ``chưa nộp 2025 …`` -> (2025, text); otherwise (None, args)."""
    words = args.split()
    folded = [fold(w) for w in words[:3]]
    for n in (2, 1):
        head = " ".join(folded[:n])
        if head in ("chuanop", "chua nop") and len(words) > n and (year := year_of(words[n])) is not None:
            return year, " ".join(words[n + 1 :]).strip()
    return None, args.strip()


async def _recipients(app: App, year: int | None) -> list[tuple[User, Unit]]:
    members = await asyncio.to_thread(app.store.members)
    if year is None:
        return members
    reported = set((await asyncio.to_thread(app.store.latest_submissions, year)).keys())
    return [(u, unit) for u, unit in members if unit.id not in reported]


@router.command("thongbao", description="Gửi thông báo tới thành viên (xem trước, xác nhận)", admin=True)
async def broadcast(ctx: Context) -> HandlerResult:
    year, text = _target(ctx.args)
    if not text:
        return Reply(THONGBAO_USAGE)
    if len(text) > MAX_BROADCAST:
        return Reply(
            f"Thông báo quá dài ({thousands(len(text))} ký tự), tối đa {thousands(MAX_BROADCAST)} ký tự."
        )
    members = await _recipients(ctx.app, year)
    people = {u.key for u, _unit in members}
    if not people:
        who = f"thành viên của đơn vị chưa nộp báo cáo năm {year}" if year else "thành viên nào được duyệt"
        return Reply(f"Không có {who} để nhận thông báo.")
    units = len({unit.id for _u, unit in members})
    begin(ctx, BROADCAST_FLOW, "confirm", {"text": text, "year": year})
    scope = f"thành viên của {units} đơn vị chưa nộp báo cáo năm {year}" if year else "mọi thành viên"
    return Reply(
        f"Xem trước thông báo gửi tới {len(people)} người ({scope}):\n\n📢 Thông báo:\n{text}\n\nGửi đi?",
        [Choice("Gửi", SEND), Choice("Không gửi", DROP)],
    )


@broadcast_flow.step("confirm")
async def on_broadcast_confirm(ctx: Context) -> HandlerResult:
    assert ctx.state is not None
    data = ctx.state.data
    if ctx.msg.choice == DROP:
        ctx.state = None
        return Reply("Đã hủy, không gửi thông báo.")
    if ctx.msg.choice != SEND:
        return Reply("Chọn Gửi hoặc Không gửi.", [Choice("Gửi", SEND), Choice("Không gửi", DROP)])
    ctx.state = None
    text, year = str(data.get("text", "")), data.get("year")
    members = await _recipients(ctx.app, year if isinstance(year, int) else None)
    seen: set[str] = set()
    outs = []
    reply = Reply(f"📢 Thông báo:\n{text}")
    for user, _unit in members:
        if user.key not in seen:
            seen.add(user.key)
            outs.append(Outgoing(user.channel, user.chat_id, reply, user.key))
    await asyncio.to_thread(
        ctx.app.store.audit,
        ctx.msg.user_key,
        "broadcast",
        {"text": text, "recipients": len(outs), "year": year},
    )
    if not outs:
        return Reply("Chưa có thành viên nào được duyệt để nhận thông báo.")
    if current_turn_key() is not None:
        # A durable turn (bot.durable): the messages are written to the outbox with this turn and sent
        # after it, at the channel's rate; the admin's answer does not wait for them.
        results = await ctx.app.outbox.send_many(outs)
        queued = sum(1 for r in results if r.status == "queued")
        await asyncio.to_thread(ctx.app.store.audit, ctx.msg.user_key, "broadcast.queued", {"queued": queued})
        return Reply(
            f"Đã xếp thông báo vào hàng gửi tới {queued}/{len(outs)} người; "
            "tin được gửi dần theo giới hạn tốc độ của kênh."
        )
    ctx.app.spawn(_fan_out(ctx.app, ctx.msg.user_key, outs))
    return Reply(
        f"Đang gửi thông báo tới {len(outs)} người; bot sẽ báo kết quả khi gửi xong. "
        "Bạn vẫn dùng bot bình thường trong lúc đó."
    )


async def _fan_out(app: App, admin_key: str, outs: list[Outgoing]) -> None:
    """The broadcast itself, off the admin's turn; the result is sent to the admin when done."""
    results = await app.outbox.send_many(outs)
    sent = sum(1 for r in results if r.status == "sent")
    blocked = sum(1 for r in results if r.status == "blocked")
    failed = len(results) - sent - blocked
    summary = f"Đã gửi thông báo tới {sent}/{len(outs)} người."
    if blocked:
        summary += f" {blocked} người đã chặn bot (đã ngừng gửi cho họ)."
    if failed:
        summary += f" {failed} tin gửi lỗi."
    await asyncio.to_thread(
        app.store.audit, admin_key, "broadcast.result", {"sent": sent, "blocked": blocked, "failed": failed}
    )
    await app.notify(admin_key, summary)


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
