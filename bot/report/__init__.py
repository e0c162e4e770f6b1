"""The compiled annual report of the standing office (issue 12).

``build(app, year, fmt)`` returns the bytes of a .docx in the administrative format of Decree
30/2020/NĐ-CP, an .xlsx, or a PDF converted by LibreOffice.  The content is compiled once
(:mod:`bot.report.data`) from the stored submissions, the due date in force and the knowledge pack;
the writers only lay it out.  python-docx and matplotlib are imported inside the writers, so
nothing on the ``ask`` path (or the rest of the bot) pays for them.
"""

from __future__ import annotations

from typing import Any

FORMATS = ("docx", "xlsx", "pdf")
MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class ReportError(Exception):
    """The report cannot be produced (bad year or format, no LibreOffice for PDF); message in Vietnamese."""


def filename(year: int, fmt: str) -> str:
    return f"bao-cao-tong-hop-{year}.{fmt}"


def build(app: Any, year: int, fmt: str = "docx") -> bytes:
    """Compile the report for ``year`` and render it as ``fmt`` (docx, xlsx or pdf)."""
    if fmt not in FORMATS:
        raise ReportError(f"Định dạng không hỗ trợ: {fmt} (chọn docx, xlsx hoặc pdf).")
    if not 2000 <= year <= 2100:
        raise ReportError("Năm phải nằm trong khoảng 2000–2100.")
    if fmt == "pdf":
        from bot.report.pdf import ensure_available

        ensure_available()  # before compiling: a clear message at once when LibreOffice is missing
    from bot.report.data import compile_report

    report = compile_report(app, year)
    if fmt == "xlsx":
        from bot.report.xlsx import render_xlsx

        return render_xlsx(report)
    from bot.report.document import render_docx

    data = render_docx(report)
    if fmt == "pdf":
        from bot.report.pdf import docx_to_pdf

        return docx_to_pdf(data)
    return data
