"""The compiled report as a spreadsheet (openpyxl): the same figures as the .docx, one row per unit.

Sheet "Tổng hợp": a title row (report, year, generated at), a header, one row per active unit (reported or
not) with real dates, a "Nộp muộn" flag, a totals row with SUM formulas over the rows above, an autofilter
and a frozen header.  Then one sheet per unit category.  Text typed by users is always written as text:
a value starting with = + - @ never becomes a formula.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from bot.report import vn
from bot.report.data import Entry, Report

FORMULA_START = ("=", "+", "-", "@")
HEADERS = ["STT", "Đơn vị", "Nhóm", "Trạng thái", "Ngày nộp", "Nộp lần đầu", "Nộp muộn", "Phiên bản"]
DATE_FORMAT = "dd/mm/yyyy hh:mm"
NUMBER_FORMAT = "#,##0"


def _naive(dt: datetime) -> datetime:
    return dt.replace(tzinfo=None)  # already local time: Excel has no time zones


def _columns(report: Report) -> list[tuple[str, str]]:
    """(role, header) of the answer columns, in the report's order."""
    roles = ("models", "model_names", "funding", "results", "difficulties", "proposals")
    return [(role, report.labels[role]) for role in roles if role in report.labels]


def _row(no: int, e: Entry | None, unit: Any, label: str, cols: list[tuple[str, str]]) -> list[Any]:
    if e is None:
        return [no, unit.name, label, "Chưa nộp", None, None, None, None] + [None] * len(cols)
    late = None if e.late is None else ("Có" if e.late else "Không")
    values = [e.value(role) for role, _ in cols]
    base = [no, unit.name, label, "Đã nộp", _naive(e.latest_at), _naive(e.first_at), late, e.version]
    return base + values


class Sheet:
    def __init__(self, ws: Any, report: Report, title: str) -> None:
        self.ws, self.r = ws, report
        self.cols = _columns(report)
        self.headers = HEADERS + [h for _, h in self.cols]
        self.money = {len(HEADERS) + i + 1 for i, (role, _) in enumerate(self.cols) if role == "funding"}
        self.ints = {len(HEADERS) + i + 1 for i, (role, _) in enumerate(self.cols) if role == "models"}
        when = vn.day_time(report.generated_at)
        ws.append([f"{title} — năm {report.year} — lập lúc {when}"])
        ws.append(self.headers)

    def put(self, values: list[Any]) -> None:
        from openpyxl.cell.cell import Cell

        cells = []
        for v in values:
            c = Cell(self.ws, value=None)
            if isinstance(v, str):
                c.value = v
                c.data_type = "s"  # never a formula, whatever it starts with
                if v.startswith(FORMULA_START):
                    c.quotePrefix = True  # and Excel keeps it text when the cell is edited
            else:
                c.value = v
            cells.append(c)
        self.ws.append(cells)

    def finish(self, first: int, last: int) -> None:
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        ws = self.ws
        ws["A1"].font = Font(bold=True, size=13)
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in ws.iter_rows(min_row=first, max_row=last + 1):
            for cell in row:
                if cell.column in (5, 6):
                    cell.number_format = DATE_FORMAT
                elif cell.column in self.money or cell.column in self.ints:
                    cell.number_format = NUMBER_FORMAT
        numeric = self.ints | self.money
        widths = [6, 42, 30, 11, 17, 17, 10, 10]
        widths += [18 if i in numeric else 40 for i in range(len(HEADERS) + 1, len(self.headers) + 1)]
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "C3"
        ws.auto_filter.ref = f"A2:{get_column_letter(len(self.headers))}{max(last, 2)}"

    def totals(self, first: int, last: int, submitted: int) -> None:
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.put([None, "Tổng cộng", None, f"{submitted}/{last - first + 1} đã nộp"])
        r = last + 1
        for col in sorted(self.money | self.ints):
            letter = get_column_letter(col)
            self.ws.cell(r, col, f"=SUM({letter}{first}:{letter}{last})" if last >= first else 0)
            self.ws.cell(r, col).number_format = NUMBER_FORMAT
        for cell in self.ws[r]:
            cell.font = Font(bold=True)


def _fill(sheet: Sheet, rows: list[tuple[Entry | None, Any, str]]) -> None:
    first = 3
    for i, (e, unit, label) in enumerate(rows, 1):
        sheet.put(_row(i, e, unit, label, sheet.cols))
    last = first + len(rows) - 1
    sheet.totals(first, last, sum(1 for e, _, _ in rows if e is not None))
    sheet.finish(first, last)


def render_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook

    rows: list[tuple[Entry | None, Any, str]] = []
    for e in report.entries:
        rows.append((e, e.unit, e.category_label))
    for unit, label in report.missing:
        rows.append((None, unit, label))
    order = {c.category: i for i, c in enumerate(report.categories)}
    rows.sort(key=lambda t: (order.get(t[1].category, 99), t[1].id or 0))
    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    _fill(Sheet(ws, report, "Báo cáo tổng hợp"), rows)
    for i, c in enumerate(report.categories, 1):
        part = [t for t in rows if t[1].category == c.category]
        name = f"{i}. {c.label}"[:31]
        for bad in "[]:*?/\\":
            name = name.replace(bad, " ")
        _fill(Sheet(wb.create_sheet(name), report, c.label), part)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
