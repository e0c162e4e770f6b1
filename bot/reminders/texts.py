"""Vietnamese texts of reminders and digests (plain text: adapters escape and format)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.reminders.obligations import Obligation, Obligations
from bot.reminders.policy import fmt_date, fmt_day
from knowledge.normalize import fold

CATEGORY_LABELS = {
    "district": "UBND các huyện, thành phố, thị xã",
    "department": "Các sở, ban, ngành tỉnh",
    "socio_political": "Các tổ chức chính trị - xã hội tỉnh",
    "armed_forces": "Công an, Quân sự, Biên phòng tỉnh",
    "media": "Cơ quan báo chí, phát thanh - truyền hình",
}
CATEGORY_ORDER = list(CATEGORY_LABELS)


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


def days_phrase(today: date, due: date) -> str:
    """``còn 7 ngày`` / ``hôm nay là hạn cuối`` / ``đã quá hạn 3 ngày``."""
    delta = (due - today).days
    if delta > 0:
        return f"còn {delta} ngày"
    if delta == 0:
        return "hôm nay là hạn cuối"
    return f"đã quá hạn {-delta} ngày"


def source_line(obligations: Obligations, ob: Obligation) -> str:
    doc = f"Công văn {ob.source.document}"
    if obligations.document_date:
        doc += f" ngày {obligations.document_date}"
    if obligations.issuer:
        doc += f" của {obligations.issuer}"
    return f"Căn cứ: {ob.source.ref}, {doc}: “{ob.source.quote}”."


SETTING_NOTE = (
    "Văn bản không nêu ngày cụ thể; hạn nộp trên là mốc do Thường trực Ban Chỉ đạo/quản trị viên đặt."
)


def unit_reminder(
    obligations: Obligations, ob: Obligation, year: int, unit_name: str, due: date, today: date
) -> str:
    lines = [
        f"Nhắc hạn: {ob.title} năm {year}",
        f"Đơn vị: {unit_name}",
        f"Hạn nộp: {fmt_day(due)} — {days_phrase(today, due)}.",
        f"Nơi nhận báo cáo: {ob.owed_to}.",
        f"Cách nộp: gõ {ob.how_to_submit} (hoặc “báo cáo”) rồi làm theo hướng dẫn. "
        "Khi đơn vị đã nộp, bot sẽ ngừng nhắc.",
        source_line(obligations, ob),
        SETTING_NOTE,
        period_note(obligations, year, today),
    ]
    return "\n".join(x for x in lines if x)


def compiled_reminder(
    obligations: Obligations,
    ob: Obligation,
    year: int,
    due: date,
    today: date,
    submitted: int,
    total: int,
) -> str:
    lines = [
        f"Nhắc hạn: {ob.title} năm {year}",
        f"Gửi: {ob.owed_to}.",
        f"Hạn: {fmt_day(due)} — {days_phrase(today, due)}.",
        f"Tình hình: {submitted}/{total} đơn vị đã nộp báo cáo năm {year} (xem /tonghop {year}).",
        f"Khi đã gửi báo cáo tổng hợp lên UBND tỉnh, gõ {ob.how_to_submit} {year} để bot ngừng nhắc.",
        source_line(obligations, ob),
        SETTING_NOTE,
        period_note(obligations, year, today),
    ]
    return "\n".join(x for x in lines if x)


def period_note(obligations: Obligations, year: int, today: date) -> str:
    """Today and the report's year against the directive's period: empty inside it; otherwise say so and
    who to ask (issue 9 item 5: date awareness from the app's clock)."""
    start, end = obligations.period_start, obligations.period_end
    doc = f"Công văn {obligations.document_number}".strip()
    owed = next((o.owed_to for o in obligations.items if o.per_unit), "")
    ask = f" Nếu chưa rõ, hỏi {owed}." if owed else ""
    if not start <= year <= end:
        return (
            f"Lưu ý: năm {year} nằm ngoài giai đoạn {start}–{end} của {doc}; "
            f"đây là năm quản trị viên mở thêm để báo cáo.{ask}"
        )
    return period_over_note(obligations, today)


def period_over_note(obligations: Obligations, today: date) -> str:
    """After the directive's period (its last year's reports are due early the next year): say so."""
    start, end = obligations.period_start, obligations.period_end
    if today.year <= end + 1 and not (today.year == end + 1 and today.month > 3):
        return ""
    doc = f"Công văn {obligations.document_number}".strip()
    owed = next((o.owed_to for o in obligations.items if o.per_unit), "")
    ask = f" Về việc báo cáo sau giai đoạn này, hỏi {owed}." if owed else ""
    return f"Lưu ý: hôm nay {fmt_date(today)}, giai đoạn {start}–{end} của {doc} đã kết thúc.{ask}"


def no_office_recipient(ob: Obligation, year: int, due: date, today: date, office: str) -> str:
    """For the admins: a compiled-report reminder that reached nobody, and why."""
    return (
        f"Không gửi được nhắc hạn “{ob.title}” năm {year} (hạn {fmt_date(due)}, {days_phrase(today, due)}): "
        f"{office or 'đơn vị thường trực'} chưa có thành viên nào được duyệt và còn liên lạc được với bot. "
        "Hãy mời cán bộ của đơn vị này đăng ký (/moi), hoặc duyệt yêu cầu đang chờ (/duyet)."
    )


@dataclass(frozen=True, slots=True)
class MissingUnit:
    name: str
    category: str
    reachable: bool  # has at least one approved, active member the bot can write to


def digest(
    ob: Obligation,
    year: int,
    due: date,
    today: date,
    submitted: int,
    total: int,
    missing: Sequence[MissingUnit],
) -> str:
    lines = [
        f"Tổng hợp tình hình {ob.title.lower()} năm {year}",
        f"Hạn nộp: {fmt_date(due)} — {days_phrase(today, due)}.",
        f"Đã nộp: {submitted}/{total} đơn vị. Chưa nộp: {len(missing)} đơn vị.",
    ]
    by_cat: dict[str, list[MissingUnit]] = {}
    for unit in missing:
        by_cat.setdefault(unit.category, []).append(unit)
    order = CATEGORY_ORDER + sorted(c for c in by_cat if c not in CATEGORY_LABELS)
    unreachable = False
    for cat in order:
        units = by_cat.get(cat)
        if not units:
            continue
        names = []
        for u in sorted(units, key=lambda x: (fold(x.name), x.name)):
            names.append(u.name if u.reachable else f"{u.name} (*)")
            unreachable = unreachable or not u.reachable
        lines.append(f"- {category_label(cat)} ({len(units)}): {'; '.join(names)}")
    if unreachable:
        lines.append(
            "(*) Đơn vị chưa có thành viên đăng ký trên bot: bot không nhắc được, cần liên hệ trực tiếp."
        )
    if missing:
        lines.append(
            "Các đơn vị chưa nộp có thành viên đăng ký đã được nhắc hôm nay. "
            "Xem chi tiết: /trangthai, /tonghop."
        )
    return "\n".join(lines)
