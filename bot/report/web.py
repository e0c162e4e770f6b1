"""The compiled report on the web pages' Xuất page: registers its downloads with :mod:`bot.web.downloads`
(imported by the web pages only, through its ``PROVIDERS`` hook; nothing else imports this module).

The .docx and .xlsx are always offered; the PDF only when LibreOffice is installed on the server (the
note under the .docx says so otherwise).  A :class:`~bot.report.ReportError` (a Vietnamese reason the person
can act on) is shown by the web pages as such.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.report import MIME, ReportError, build
from bot.report.pdf import soffice
from bot.web.downloads import DOWNLOADS, Download

NOTE = "Bản dự thảo theo thể thức Nghị định 30/2020/NĐ-CP, như lệnh /baocaotonghop và directive-bot report."
NO_PDF = " Bản PDF cần LibreOffice trên máy chủ (gói libreoffice-writer-nogui), hiện chưa cài."
PATTERN = "bao-cao-tong-hop-{year}."


def _builder(fmt: str) -> Callable[[Any, int], bytes]:
    def make(app: Any, year: int) -> bytes:
        return build(app, year, fmt)

    return make


def downloads(pdf: bool) -> list[Download]:
    def item(fmt: str, label: str, note: str = "") -> Download:
        return Download(
            f"report-{fmt}", label, MIME[fmt], _builder(fmt), PATTERN + fmt, note, errors=(ReportError,)
        )

    items = [
        item("docx", "Báo cáo tổng hợp gửi UBND tỉnh (Word .docx)", NOTE + ("" if pdf else NO_PDF)),
        item("xlsx", "Số liệu của báo cáo tổng hợp (Excel .xlsx, mỗi nhóm đơn vị một trang)"),
    ]
    if pdf:
        items.append(item("pdf", "Báo cáo tổng hợp gửi UBND tỉnh (PDF)"))
    return items


def register() -> None:
    known = {d.name for d in DOWNLOADS}
    DOWNLOADS.extend(d for d in downloads(soffice() is not None) if d.name not in known)


register()
