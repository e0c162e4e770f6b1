"""The files the Xuất page offers: a registry other components add to.

Each :class:`Download` builds its bytes from the app and a year (in a worker thread) and is
served at ``/web/downloads/<name>?year=YYYY`` behind the session gate, audit-logged. To add
one (the compiled report of issue 12), append to :data:`DOWNLOADS` at import time of
``bot.web.downloads`` or from a module listed in :data:`PROVIDERS`::

    DOWNLOADS.append(Download("report-docx", "Báo cáo tổng hợp (.docx)", DOCX, build, "bao-cao-{year}.docx",
                              errors=(ReportError,)))
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Download:
    name: str  # URL part: ASCII letters, digits, '-'
    label: str  # Vietnamese, shown on the page
    content_type: str
    build: Callable[[Any, int], bytes]
    pattern: str  # file name, with {year}
    note: str = ""
    errors: tuple[type[Exception], ...] = ()  # raised with a Vietnamese message: shown to the person (409)

    def filename(self, year: int) -> str:
        return self.pattern.format(year=year)


def _xlsx(app: Any, year: int) -> bytes:
    from bot.export import export

    return export(app, year, "xlsx")


DOWNLOADS: list[Download] = [
    Download(
        "export-xlsx",
        "Tổng hợp các đơn vị (Excel .xlsx)",
        XLSX,
        _xlsx,
        "tong-hop-{year}.xlsx",
        "Một dòng mỗi đơn vị, cả đơn vị chưa nộp; như lệnh directive-bot export --format xlsx.",
    ),
]

# Modules that register their own downloads when imported (skipped while they do not exist).
PROVIDERS: list[str] = ["bot.report.web"]


def load_providers() -> None:
    for name in PROVIDERS:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
