"""/start (greeting), /trogiup (help built from every router's command metadata) and /huy (cancel)."""

from __future__ import annotations

import asyncio

from bot.context import Context
from bot.messages import Reply
from bot.router import Router

router = Router("start")

GREETING = (
    "Xin chào{name}! Tôi là Trợ lý văn bản chỉ đạo 5500/UBND-NC (Quảng Ngãi, 10/11/2020) "
    "về việc tiếp tục thực hiện Quyết định 1395 trong giai đoạn 2021–2025.\n"
    "• Hỏi tôi về nội dung văn bản: nhiệm vụ của đơn vị, kinh phí, chế độ báo cáo… "
    "(gõ câu hỏi bình thường).\n"
    "• /dangky: đăng ký đơn vị của bạn; /baocao: nộp báo cáo kết quả hằng năm; "
    "/trangthai: xem tình hình nộp.\n"
    "• /trogiup: danh sách lệnh; /huy: hủy thao tác đang làm."
)


@router.command("start", description="Bắt đầu, giới thiệu bot", keywords=("bắt đầu",))
async def start(ctx: Context) -> Reply:
    name = f", {ctx.user.display_name}" if ctx.user.display_name else ""
    text = GREETING.format(name=name)
    unit = await asyncio.to_thread(ctx.app.store.approved_unit, ctx.user_id)
    if unit is not None:
        text += f"\nBạn đang là thành viên của: {unit.name}."
    else:
        text += "\nBạn chưa đăng ký đơn vị: gõ /dangky để bắt đầu."
    if ctx.is_admin:
        text += "\nBạn là quản trị viên: gõ /trogiup để xem các lệnh quản trị."
    return Reply(text)


@router.command("trogiup", description="Danh sách lệnh", keywords=("trợ giúp", "hướng dẫn", "help", "menu"))
async def help_(ctx: Context) -> Reply:
    lines = ["Các lệnh (gõ lệnh hoặc từ khóa tiếng Việt, có dấu hay không dấu đều được):"]
    admin_lines = []
    for spec in ctx.app.dispatcher.command_specs:
        if not spec.menu and not spec.admin:
            continue
        kw = f" (hoặc “{spec.keywords[0]}”)" if spec.keywords else ""
        line = f"/{spec.name}{kw}: {spec.description}"
        if spec.admin:
            admin_lines.append(line)
        else:
            lines.append(line)
    if ctx.is_admin and admin_lines:
        lines.append("")
        lines.append("Lệnh quản trị:")
        lines.extend(admin_lines)
    lines.append("")
    lines.append("Ngoài ra, cứ gõ câu hỏi về Công văn 5500/UBND-NC, tôi sẽ trả lời kèm nguồn trích dẫn.")
    return Reply("\n".join(lines))


@router.command("huy", description="Hủy thao tác đang làm", keywords=("hủy", "huỷ", "hủy bỏ"))
async def cancel(ctx: Context) -> Reply:
    if ctx.state is None:
        return Reply("Không có thao tác nào đang làm dở.")
    ctx.state = None
    return Reply("Đã hủy. Những gì chưa xác nhận không được lưu. Gõ /trogiup để xem các lệnh.")
