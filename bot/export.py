"""The compiled overview of one reporting year: every active unit with its latest submission.

Used by /trangthai and /tonghop in the chat and by ``directive-bot export`` (CSV,
JSON, XLSX with Vietnamese headers, one row per unit, missing units included).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.forms import FormSpec, display
from bot.storage.queries import SubmissionInfo, SubmitterInfo, UnitInfo, overview_rows

CATEGORY_ORDER = ("district", "department", "socio_political", "armed_forces", "media")
FORMATS = ("csv", "json", "xlsx")


@dataclass(slots=True)
class UnitStatus:
    """One active unit with its latest submission of the year and who submitted it (plain values)."""

    unit: UnitInfo
    submission: SubmissionInfo | None
    submitter: SubmitterInfo | None
    late: bool = False  # first submitted after the due date in force (bot.lateness.mark_late)

    @property
    def submitted(self) -> bool:
        return self.submission is not None


def overview(store: Any, year: int) -> list[UnitStatus]:
    """Active units in registry order (by category, then id) with their latest submission for ``year``.

    One SQL statement whatever the number of units (:func:`bot.storage.queries.overview_rows`).
    ``store`` is the app's store (anything with an ``engine``) or an engine.
    """
    engine = getattr(store, "engine", store)
    rank = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    rows = [UnitStatus(u, s, p) for u, s, p in overview_rows(engine, year)]
    rows.sort(key=lambda r: (rank.get(r.unit.category, len(rank)), r.unit.id))
    return rows


def category_counts(rows: list[UnitStatus]) -> list[tuple[str, int, int]]:
    """(category, submitted, total) in category order."""
    out: dict[str, list[int]] = {}
    for r in rows:
        c = out.setdefault(r.unit.category, [0, 0])
        c[0] += int(r.submitted)
        c[1] += 1
    rank = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    return [(k, v[0], v[1]) for k, v in sorted(out.items(), key=lambda kv: rank.get(kv[0], len(rank)))]


def _local(dt: datetime | None) -> str:
    from bot.app import TZ
    from bot.store import as_utc

    if dt is None:
        return ""
    return as_utc(dt).astimezone(TZ).strftime("%d/%m/%Y %H:%M")  # type: ignore[union-attr]


def headers(form: FormSpec) -> list[str]:
    return [
        "STT",
        "Đơn vị",
        "Nhóm",
        "Trạng thái",
        "Phiên bản",
        "Thời gian nộp",
        "Người nộp",
        *[f.label for f in form.fields if f.key != "year"],
    ]


def table(rows: list[UnitStatus], form: FormSpec, category_label: Any = None) -> list[list[Any]]:
    """One row per unit; numbers stay numbers (integer VND for money) so a spreadsheet can sum them."""
    label = category_label or (lambda c: c)
    out: list[list[Any]] = []
    for i, r in enumerate(rows, 1):
        sub = r.submission
        answers = sub.answers if sub is not None else {}
        values: list[Any] = []
        for f in form.fields:
            if f.key == "year":
                continue
            v = answers.get(f.key)
            if v is None:
                values.append("")
            elif f.type in ("integer", "money"):
                values.append(int(v))
            else:
                values.append(display(f, v))
        who = r.submitter.shown if r.submitter is not None else ""
        out.append(
            [
                i,
                r.unit.name,
                label(r.unit.category),
                ("Nộp muộn" if r.late else "Đã nộp") if sub is not None else "Chưa nộp",
                sub.version if sub is not None else "",
                _local(sub.submitted_at) if sub is not None else "",
                who,
                *values,
            ]
        )
    return out


# A cell starting with one of these is a formula to Excel/LibreOffice (OWASP "CSV injection"); a
# display name "=HYPERLINK(...)" must stay text in the standing office's spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: Any) -> Any:
    """A text value as it may go into a spreadsheet: no control characters (openpyxl refuses them)."""
    if isinstance(value, str):
        from bot.sanitize import clean_text

        return clean_text(value)
    return value


def csv_cell(value: Any) -> Any:
    """Text that would start a formula gets a leading apostrophe (shown as text, not evaluated)."""
    value = cell_text(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: list[UnitStatus], form: FormSpec, category_label: Any = None) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([csv_cell(h) for h in headers(form)])
    w.writerows([csv_cell(v) for v in row] for row in table(rows, form, category_label))
    return buf.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def to_json(rows: list[UnitStatus], form: FormSpec, year: int, category_label: Any = None) -> bytes:
    label = category_label or (lambda c: c)
    items = []
    for r in rows:
        sub = r.submission
        items.append(
            {
                "unit": r.unit.name,
                "category": r.unit.category,
                "category_label": label(r.unit.category),
                "submitted": sub is not None,
                "late": r.late,
                "version": sub.version if sub else None,
                "submitted_at": _local(sub.submitted_at) if sub else None,
                "submitted_by": r.submitter.shown if r.submitter else None,
                "answers": sub.answers if sub else None,
            }
        )
    doc = {
        "year": year,
        "form": form.name,
        "units": len(rows),
        "submitted": sum(1 for r in rows if r.submitted),
        "rows": items,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def _text_cell(ws: Any, value: str) -> Any:
    """User text as an xlsx cell: control characters dropped (openpyxl refuses them), and text that
    would start a formula (=HYPERLINK(...) from a display name) forced to a string cell."""
    from openpyxl.cell import WriteOnlyCell

    value = cell_text(value)
    if not value.startswith(FORMULA_START):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def to_xlsx(rows: list[UnitStatus], form: FormSpec, year: int, category_label: Any = None) -> bytes:
    """Excel workbook, written in openpyxl's write-only mode (a province's 700 rows in about half the
    time of building the sheet cell by cell)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"Năm {year}")
    hdr = headers(form)
    widths = [6, 45, 28, 12, 10, 18, 22] + [30] * (len(hdr) - 7)
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "C2"
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    head_cells = []
    for value in hdr:
        cell = WriteOnlyCell(ws, value=value)
        cell.font, cell.alignment = bold, wrap
        head_cells.append(cell)
    ws.append(head_cells)
    money_cols = {
        i for i, f in enumerate([f for f in form.fields if f.key != "year"], start=7) if f.type == "money"
    }
    for row in table(rows, form, category_label):
        for col in money_cols:
            if isinstance(row[col], int):
                cell = WriteOnlyCell(ws, value=row[col])
                cell.number_format = "#,##0"
                row[col] = cell
        ws.append([_text_cell(ws, v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export(app: Any, year: int, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"Định dạng không hỗ trợ: {fmt} (chọn csv, json hoặc xlsx).")
    from bot.lateness import mark_late

    rows = overview(app.store, year)
    mark_late(app, year, rows)
    label = app.category_label
    if fmt == "csv":
        return to_csv(rows, app.form, label)
    if fmt == "json":
        return to_json(rows, app.form, year, label)
    return to_xlsx(rows, app.form, year, label)
