"""The report's wording: paragraphs built from :class:`~bot.report.data.Report`, shared by the writers.

Every sentence states a figure computed in :mod:`bot.report.data`, a unit's own answer (attributed), or
the directive's words (quoted with their reference).  Nothing here knows a directive: labels come from
the report form, names from the pack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.report import vn
from bot.report.data import Report

NOT_GIVEN = "không ghi"


@dataclass(frozen=True, slots=True)
class Para:
    text: str
    kind: str = "body"  # heading | sub | body | bullet | note


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s else s


def _bare(label: str) -> str:
    """``Kinh phí đã sử dụng (đồng)`` -> ``kinh phí đã sử dụng``."""
    return _lower_first(re.sub(r"\s*\([^)]*\)\s*$", "", label).strip())


def opening(r: Report) -> str:
    issuer = r.definition.letterhead.issuer
    b = r.basis
    if b is None:
        return (
            f"{issuer} tổng hợp kết quả thực hiện năm {r.year} của các cơ quan, đơn vị, địa phương như sau:"
        )
    kind = (b.kind[:1].upper() + b.kind[1:]) if b.kind else "Văn bản"
    about = f" về việc {_lower_first(b.subject)}" if b.subject else ""
    date = f" ngày {b.date}" if b.date else ""
    by = f" của {b.issuer}" if b.issuer else ""
    return (
        f"Thực hiện {kind} số {b.document}{date}{by}{about}, trong đó {b.ref} nêu: “{b.quote}” "
        f"({kind} {b.document}, {b.ref}); {issuer} tổng hợp kết quả thực hiện năm {r.year} của các cơ quan, "
        "đơn vị, địa phương như sau:"
    )


def _due_sentence(r: Report) -> str:
    if r.due is None:
        return "Chưa xác định hạn gửi báo cáo nên báo cáo không phân loại đúng hạn, muộn."
    how = (
        "do quản trị viên đặt"
        if r.due_by_admin
        else "mặc định của hệ thống, chưa được quản trị viên điều chỉnh"
    )
    return f"Hạn gửi báo cáo áp dụng: {vn.day(r.due)} ({how})."


def general(r: Report) -> list[Para]:
    y, x = r.units_total, len(r.entries)
    status = f"Đã gửi báo cáo: {x}/{y} đơn vị ({vn.percent(x, y)})"
    if r.due is not None:
        status += f", trong đó đúng hạn {r.on_time}, muộn {r.late}"
    out = [
        Para("I. TÌNH HÌNH CHUNG", "heading"),
        Para("1. Tình hình gửi báo cáo", "sub"),
        Para(
            f"Tổng số cơ quan, đơn vị, địa phương phải báo cáo: {y}. {status}. "
            f"Chưa gửi báo cáo: {len(r.missing)} đơn vị. {_due_sentence(r)}"
        ),
        Para(
            f"Số liệu tính đến {r.generated_at:%H} giờ {r.generated_at:%M} ngày {vn.day(r.generated_at)}, "
            "theo phiên bản báo cáo mới nhất của mỗi đơn vị; đúng hạn hay muộn tính theo lần gửi đầu tiên.",
            "note",
        ),
        Para("2. Theo nhóm đơn vị", "sub"),
    ]
    for c in r.categories:
        line = f"- {c.label}: {c.submitted}/{c.total} đơn vị đã báo cáo"
        if r.due is not None:
            line += f" (đúng hạn {c.on_time}, muộn {c.late})"
        out.append(Para(f"{line}; chưa báo cáo: {len(c.missing)}.", "bullet"))
    out.append(Para("3. Các đơn vị chưa gửi báo cáo", "sub"))
    if not r.missing:
        out.append(Para(f"Tất cả {y} đơn vị đã gửi báo cáo."))
    for c in r.categories:
        if c.missing:
            out.append(Para(f"- {c.label} ({len(c.missing)}): {'; '.join(c.missing)}.", "bullet"))
    return out


def results_summary(r: Report) -> list[Para]:
    x = len(r.entries)
    t = r.totals
    out = [Para("II. KẾT QUẢ THỰC HIỆN", "heading")]
    if "models" in r.labels:
        out.append(
            Para(
                f"Tổng {_bare(r.labels['models'])}: {vn.number(t.models)} (cộng theo báo cáo của "
                f"{t.models_reported}/{x} đơn vị đã gửi; {x - t.models_reported} đơn vị {NOT_GIVEN})."
            )
        )
    if "funding" in r.labels:
        out.append(
            Para(
                f"Tổng {_bare(r.labels['funding'])}: {vn.money(t.funding)} (cộng theo báo cáo của "
                f"{t.funding_reported}/{x} đơn vị; {x - t.funding_reported} đơn vị {NOT_GIVEN})."
            )
        )
    out.append(
        Para(
            "Kết quả của từng đơn vị tại Bảng 1 (mỗi đơn vị đã gửi một dòng); số đơn vị đã gửi báo cáo theo "
            "nhóm tại Biểu đồ 1."
        )
    )
    return out


def table_caption(r: Report) -> str:
    return f"Bảng 1. Kết quả thực hiện năm {r.year} của các đơn vị đã gửi báo cáo"


def chart_caption(r: Report) -> str:
    return f"Biểu đồ 1. Số đơn vị đã gửi báo cáo theo nhóm, năm {r.year}"


def attributed(r: Report, role: str, heading: Para, nothing: str) -> list[Para]:
    """A section compiled from the units' answers to ``role``, each attributed; the silent ones named."""
    out = [heading]
    if not r.entries:
        out.append(Para("Chưa có đơn vị nào gửi báo cáo."))
        return out
    given, empty = r.texts(role)
    out.extend(Para(f"- {unit}: {text}", "bullet") for unit, text in given)
    if empty:
        names = "; ".join(empty)
        out.append(Para(f"{len(empty)}/{len(r.entries)} đơn vị {nothing}: {names}.", "note"))
    return out


def result_texts(r: Report) -> list[Para]:
    if "results" not in r.labels:
        return []
    label = r.labels["results"]
    heading = Para(f"{label} theo báo cáo của các đơn vị", "sub")
    return attributed(r, "results", heading, f"{NOT_GIVEN} {_bare(label)}")


def section(r: Report, numeral: str, role: str) -> list[Para]:
    if role not in r.labels:
        return []
    label = r.labels[role]
    return attributed(r, role, Para(f"{numeral}. {label.upper()}", "heading"), f"không nêu {_bare(label)}")


def closing(r: Report) -> str:
    lh = r.definition.letterhead
    to = f" kính báo cáo {lh.addressee}" if lh.addressee else " báo cáo"
    return f"Trên đây là báo cáo kết quả thực hiện năm {r.year}, {lh.issuer}{to}./."
