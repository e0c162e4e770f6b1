"""/baocaotonghop NĂM [docx|xlsx|pdf]: the compiled annual report as a file, for admins and the approved
members of the standing-office unit (the one that compiles the units' reports for the province)."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.context import Context
from bot.messages import OutFile, Reply
from bot.router import Router

router = Router("compiled")

FORMAT_WORDS = {"docx": "docx", "word": "docx", "doc": "docx", "xlsx": "xlsx", "excel": "xlsx", "pdf": "pdf"}
USAGE = "Cú pháp: /baocaotonghop NĂM [docx|xlsx|pdf], ví dụ /baocaotonghop 2025 (mặc định tệp Word .docx)."
DENIED = "Lệnh này dành cho quản trị viên và cán bộ của cơ quan thường trực (đơn vị tổng hợp báo cáo)."
DENIED = "Lệnh này dành cho quản trị viên và cán bộ của cơ quan thường trực (đơn vị tổng hợp báo cáo)."
MAX_AT_ONCE = 2  # PDF conversions (LibreOffice processes) at the same time in one process


def parse(args: str, default_year: int) -> tuple[int | None, str, str]:
    """(year, format, error) from ``"2025 pdf"`` / ``"pdf"`` / ``""``."""
    year, fmt = default_year, "docx"
    for word in args.lower().split():
        if word in FORMAT_WORDS:
            fmt = FORMAT_WORDS[word]
        elif word.isascii() and word.isdecimal() and len(word) == 4 and 2000 <= int(word) <= 2100:
            year = int(word)
        else:
            return None, fmt, f"Không hiểu “{word[:40]}”. {USAGE}"
    return year, fmt, ""


def _semaphore(app: Any) -> asyncio.Semaphore:
    sem = app.report_semaphore
    if sem is None:
        sem = app.report_semaphore = asyncio.Semaphore(MAX_AT_ONCE)
    return sem


async def allowed(ctx: Context) -> bool:
    if ctx.is_admin:
        return True
    if ctx.user.id is None:
        return False
    unit = await ctx.app.db.run(ctx.app.store.approved_unit, ctx.user.id)
    return unit is not None and unit.standing_office


async def _make(app: Any, year: int, fmt: str) -> bytes:
    """The document in the heavy database pool (CPU-bound Python); a PDF is then converted by LibreOffice,
    a subprocess, in a plain worker thread, at most ``MAX_AT_ONCE`` at a time."""
    from bot.report import build
    from bot.report.pdf import docx_to_pdf, ensure_available

    if fmt != "pdf":
        return await app.db.run(build, app, year, fmt, heavy=True)
    ensure_available()  # a clear message at once when LibreOffice is missing
    docx = await app.db.run(build, app, year, "docx", heavy=True)
    async with _semaphore(app):
        return await asyncio.to_thread(docx_to_pdf, docx)


@router.command(
    "baocaotonghop",
    description="Báo cáo tổng hợp gửi UBND tỉnh (tệp Word/Excel/PDF)",
    keywords=("báo cáo tổng hợp",),
)
async def compiled_report(ctx: Context) -> Reply:
    from bot.report import MIME, ReportError, filename

    if not await allowed(ctx):
        return Reply(DENIED)
    year, fmt, error = parse(ctx.args, ctx.app.reporting_year())
    if year is None:
        return Reply(error)
    try:
        data = await _make(ctx.app, year, fmt)
    except ReportError as exc:
        return Reply(str(exc))
    await ctx.app.db.run(ctx.app.store.audit, ctx.msg.user_key, "report", {"year": year, "format": fmt})
    return Reply(
        f"Báo cáo tổng hợp năm {year} (bản dự thảo để cơ quan rà soát, ghi số và ký).",
        files=[OutFile(filename(year, fmt), data, MIME[fmt])],
    )
