"""Deadlines in the chat.

- ``/nhacnho``: a member sees their unit's upcoming deadlines (due date, status, next reminder, source);
- ``/hanbaocao NĂM DD/MM/YYYY`` (admin): change a due date without a restart; ``/hanbaocao tonghop NĂM
  DD/MM/YYYY`` changes the standing office's compiled report instead; audit-logged;
- ``/xongtonghop NĂM`` (standing office members and admins): the compiled report was sent to the
  Provincial People's Committee, stop reminding.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import Session

from bot.codec import parse_date, parse_year
from bot.context import Context
from bot.messages import Reply
from bot.reminders import state, targets, texts, views
from bot.reminders.obligations import Obligations
from bot.reminders.obligations import for_app as obligations_for_app
from bot.reminders.policy import PolicyError, fmt_date, slots_for
from bot.router import Router
from knowledge.normalize import fold

router = Router("reminders")

# "tonghop", "tổng hợp", "báo cáo tổng hợp" (diacritics optional) select the compiled report
COMPILED_PHRASES = (("bao", "cao", "tong", "hop"), ("tong", "hop"), ("tonghop",))
HANBAOCAO_USAGE = (
    "Cú pháp: /hanbaocao NĂM NGÀY, ví dụ /hanbaocao 2025 30/11/2025 (hạn báo cáo của các đơn vị).\n"
    "Hạn báo cáo tổng hợp gửi UBND tỉnh: /hanbaocao tonghop 2025 15/12/2025."
)


def _notify(app: Any) -> None:
    app.schedule_changed()


def _unit_of(app: Any, user_id: int) -> Any:
    return app.store.approved_unit(user_id)


@router.command(
    "nhacnho",
    description="Xem các hạn nộp báo cáo sắp tới",
    keywords=("nhắc nhở", "nhắc hạn", "hạn nộp", "hạn báo cáo", "lịch nhắc"),
)
async def upcoming(ctx: Context) -> Reply:
    app = ctx.app
    obligations = obligations_for_app(app)
    unit = await asyncio.to_thread(_unit_of, app, ctx.user_id)

    now = app.now()

    def build() -> str:
        with Session(app.engine) as session:
            text = views.member_deadlines(session, obligations, now, unit, ctx.is_admin)
            late = overdue_lines(session, obligations, now, unit)
        return _with_overdue(text, late, obligations, now)

    return Reply(await asyncio.to_thread(build))


def overdue_lines(session: Session, obligations: Obligations, now: Any, unit: Any) -> list[str]:
    """The unit's reports that are past due and not submitted (most recent first, at most 3)."""
    if unit is None:
        return []
    today = now.astimezone(obligations.policy.zone).date()
    out = []
    recent = [y for y in state.years(session, obligations) if today.year - 2 <= y <= today.year]
    for s in sorted(targets.series(session, obligations, now, years=recent), key=lambda x: -x.year):
        if s.obligation.per_unit and unit.id not in s.submitted and s.due < today:
            out.append(
                f"⚠️ {unit.name} chưa nộp {s.obligation.title} năm {s.year}: "
                f"{texts.days_phrase(today, s.due)} (hạn {fmt_date(s.due)}). "
                "Gõ /baocao để nộp ngay; bản nộp muộn vẫn được ghi nhận (“nộp muộn”)."
            )
    return out[:3]


def _with_overdue(text: str, late: list[str], obligations: Obligations, now: Any) -> str:
    today = now.astimezone(obligations.policy.zone).date()
    header = f"Hôm nay: {fmt_date(today)}."
    note = texts.period_over_note(obligations, today)
    if late and text.startswith(("Hiện không có hạn nộp", "Hiện không có hạn")):
        text = ""
        header += " Không còn hạn nào sắp tới, nhưng có báo cáo đã quá hạn:"
    parts = [header, *late, text] if late else [header, text]
    if note:
        parts.append(note)
    return "\n".join(p for p in parts if p)


def parse_set_due(args: str, obligations: Obligations) -> tuple[str, int, Any]:
    """``[tonghop] YEAR DD/MM/YYYY`` -> (obligation id, year, date); PolicyError with a Vietnamese message."""
    parts = (args or "").split()
    ob_id = obligations.unit_report.id
    words = [fold(p) for p in parts]
    for phrase in COMPILED_PHRASES:
        if words[: len(phrase)] == list(phrase):
            compiled = [o for o in obligations.items if not o.per_unit]
            if not compiled:
                raise PolicyError("Gói tri thức không có nghĩa vụ báo cáo tổng hợp.")
            ob_id = compiled[0].id
            parts = parts[len(phrase) :]
            break
    if len(parts) != 2:
        raise PolicyError(HANBAOCAO_USAGE)
    year_text, date_text = parts
    year = parse_year(year_text)
    if year is None:
        raise PolicyError(f"Năm “{year_text}” phải là số có 4 chữ số.\n{HANBAOCAO_USAGE}")
    day = parse_date(date_text)
    if day is None:
        raise PolicyError(
            f"Ngày “{date_text[:20]}” không đúng hoặc không tồn tại: dùng dd/mm/yyyy, dd-mm-yyyy "
            f"hoặc yyyy-mm-dd (ví dụ 30/11/{year}).\n{HANBAOCAO_USAGE}"
        )
    return ob_id, year, day


@router.command("hanbaocao", description="Đổi hạn nộp báo cáo của một năm", admin=True)
async def set_due(ctx: Context) -> Reply:
    app = ctx.app
    obligations = obligations_for_app(app)
    if not ctx.args.strip():

        def current() -> str:
            with Session(app.engine) as session:
                return views.due_dates_text(session, obligations)

        return Reply(await asyncio.to_thread(current) + "\n\n" + HANBAOCAO_USAGE)
    try:
        ob_id, year, new = parse_set_due(ctx.args, obligations)
        change = await asyncio.to_thread(
            state.set_due, app.engine, obligations, ob_id, year, new, ctx.msg.user_key
        )
    except PolicyError as exc:
        return Reply(str(exc))
    _notify(app)
    ob = change.obligation
    lines = [
        f"Đã lưu: hạn “{ob.title}” năm {year} là {fmt_date(change.new)} "
        f"({'không đổi' if change.old == change.new else 'trước đây ' + fmt_date(change.old)}).",
        f"Lịch nhắc mới (08:00): {views.schedule_summary(slots_for(change.new, obligations.policy))}.",
    ]
    lines.extend(await asyncio.to_thread(_due_warnings, app, obligations, ob, year, change.new))
    if change.opened_year:
        lines.append(
            f"Năm {year} nằm ngoài giai đoạn {obligations.period_start}–{obligations.period_end} "
            "của văn bản: đã mở năm này để nhắc hạn."
        )
    lines.append("Đây là mốc do quản trị viên đặt, không phải ngày ghi trong văn bản.")
    return Reply("\n".join(lines))


def _due_warnings(app: Any, obligations: Obligations, ob: Any, year: int, new: Any) -> list[str]:
    """A due date in the past, or a unit deadline after the compiled report's own deadline."""
    today = app.now().date()
    out = []
    if new < today:
        out.append(
            f"⚠️ Ngày {fmt_date(new)} đã qua (hôm nay {fmt_date(today)}): "
            "các đơn vị chưa nộp bị tính là quá hạn."
        )
    compiled = [o for o in obligations.items if not o.per_unit]
    with Session(app.engine) as session:
        if ob.per_unit and compiled:
            compiled_due, _ = state.due_date(session, compiled[0], year)
            if new > compiled_due:
                out.append(
                    f"⚠️ Hạn này sau hạn báo cáo tổng hợp năm {year} ({fmt_date(compiled_due)}): Thường trực "
                    "sẽ không kịp tổng hợp. Đổi hạn tổng hợp bằng /hanbaocao tonghop NĂM NGÀY."
                )
        elif not ob.per_unit:
            unit_due, _ = state.due_date(session, obligations.unit_report, year)
            if new < unit_due:
                out.append(
                    f"⚠️ Hạn tổng hợp trước hạn nộp của các đơn vị ({fmt_date(unit_due)}): "
                    "chưa đủ báo cáo để tổng hợp."
                )
    return out


@router.command("xongtonghop", description="Đánh dấu đã gửi báo cáo tổng hợp lên UBND tỉnh (Thường trực)")
async def compiled_done(ctx: Context) -> Reply:
    app = ctx.app
    obligations = obligations_for_app(app)
    compiled = [o for o in obligations.items if not o.per_unit]
    if not compiled:
        return Reply("Gói tri thức không có nghĩa vụ báo cáo tổng hợp.")
    ob = compiled[0]
    unit = await asyncio.to_thread(_unit_of, app, ctx.user_id)
    if not ctx.is_admin and (unit is None or not unit.standing_office):
        return Reply(
            "Chỉ Thường trực Ban Chỉ đạo (thành viên đơn vị thường trực) "
            "hoặc quản trị viên dùng được lệnh này."
        )
    arg = ctx.args.strip()
    if not (arg.isdecimal() and len(arg) == 4):
        return Reply(f"Cú pháp: /xongtonghop NĂM, ví dụ /xongtonghop {app.reporting_year()}.")
    year = int(arg)
    try:
        changed = await asyncio.to_thread(
            state.mark_done, app.engine, obligations, ob.id, year, ctx.msg.user_key
        )
    except PolicyError as exc:
        return Reply(str(exc))
    if not changed:
        return Reply(f"Báo cáo tổng hợp năm {year} đã được đánh dấu gửi từ trước.")
    _notify(app)
    return Reply(f"Đã lưu: báo cáo tổng hợp năm {year} đã gửi UBND tỉnh. Bot ngừng nhắc việc này.")
