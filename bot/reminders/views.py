"""What people see about deadlines: ``/nhacnho`` (a member's upcoming deadlines) and ``reminders plan``.

Read-only; derived from the same functions the sender uses (:mod:`bot.reminders.targets`),
so what is shown is what will be sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.reminders import ledger, state, targets, texts
from bot.reminders.obligations import Obligations
from bot.reminders.policy import current_slot, fmt_date, fmt_day
from bot.storage import queries
from bot.storage.models import Unit


def _upcoming_series(session: Session, obligations: Obligations, now: datetime) -> list[targets.SeriesState]:
    """Series whose reminders are not over yet (a slot still ahead, or one current)."""
    out = []
    for s in targets.series(session, obligations, now):
        if s.current is not None or any(slot.at > now for slot in s.slots):
            out.append(s)
    return out


def _next_slot_text(s: targets.SeriesState, now: datetime) -> str:
    nxt = next((slot for slot in s.slots if slot.at > now), None)
    if nxt is None:
        return "không còn lần nhắc nào"
    return f"{fmt_day(nxt.day)} lúc {nxt.at.strftime('%H:%M')}"


def _due_origin(s: targets.SeriesState) -> str:
    return "do quản trị viên đặt" if s.due_set_by_admin else "mốc mặc định của bot"


def member_deadlines(
    session: Session, obligations: Obligations, now: datetime, unit: Unit | None, is_admin: bool
) -> str:
    """The text of ``/nhacnho``."""
    today = now.astimezone(obligations.policy.zone).date()
    series = _upcoming_series(session, obligations, now)
    if unit is None and not is_admin:
        return (
            "Bạn chưa là thành viên của đơn vị nào nên chưa có hạn nộp để nhắc. Gõ /dangky để đăng ký đơn vị."
        )
    if not series:
        years = state.years(session, obligations)
        return (
            "Hiện không có hạn nộp báo cáo nào sắp tới. "
            f"Giai đoạn của Công văn {obligations.document_number} "
            f"là {obligations.period_start}–{obligations.period_end} (các năm đang theo dõi: "
            f"{', '.join(str(y) for y in years)}). "
            "Quản trị viên có thể mở thêm năm bằng /monam hoặc /hanbaocao."
        )
    lines: list[str] = []
    if unit is not None:
        lines.append(f"Hạn nộp sắp tới của {unit.name}:")
    else:
        lines.append("Các hạn nộp sắp tới (quản trị viên):")
    total_units = queries.active_unit_count(session.connection())
    shown = 0
    for s in series:
        ob = s.obligation
        if ob.per_unit:
            if unit is not None:
                done = unit.id in s.submitted
                status = "đã nộp" if done else "chưa nộp"
            else:
                done = False
                status = f"{len(s.submitted)}/{total_units} đơn vị đã nộp"
        else:
            if unit is not None and not unit.standing_office and not is_admin:
                continue
            done = s.done is not None
            status = "đã gửi UBND tỉnh" if done else "chưa đánh dấu đã gửi"
        shown += 1
        lines.append("")
        lines.append(f"• {ob.title} năm {s.year}")
        lines.append(f"  Hạn: {fmt_day(s.due)} — {texts.days_phrase(today, s.due)} ({_due_origin(s)}).")
        lines.append(f"  Tình trạng: {status}.")
        if not done:
            lines.append(f"  Lần nhắc tới: {_next_slot_text(s, now)}.")
            how = ob.how_to_submit + (f" {s.year}" if not ob.per_unit else "")
            lines.append(f"  Cách nộp: {how}.")
        lines.append(f"  Căn cứ: {ob.source.cite()}: “{ob.source.quote}”.")
    if not shown:
        return "Hiện không có hạn nộp nào sắp tới cho đơn vị của bạn."
    lines.append("")
    lines.append(texts.SETTING_NOTE)
    return "\n".join(lines)


def due_dates_text(session: Session, obligations: Obligations) -> str:
    """Current due dates per year (``/hanbaocao`` without arguments)."""
    lines = ["Hạn nộp hiện tại:"]
    for year in state.years(session, obligations):
        parts = []
        for ob in obligations.items:
            due, by_admin = state.due_date(session, ob, year)
            parts.append(f"{_short_name(ob.id)} {fmt_date(due)}{' (đã đổi)' if by_admin else ''}")
        lines.append(f"• {year}: " + "; ".join(parts))
    return "\n".join(lines)


def _short_name(obligation_id: str) -> str:
    return "báo cáo đơn vị" if obligation_id == "unit-annual-report" else "báo cáo tổng hợp"


def schedule_summary(slots: list[Any]) -> str:
    """``15/11/2025, 22/11/2025 ...`` (days of a series, with their year: a series may cross a new year)."""
    return ", ".join(s.day.strftime("%d/%m/%Y") for s in slots)


@dataclass(slots=True)
class PlanRow:
    obligation: str
    year: int
    kind: str
    at: datetime
    recipient: str
    channel: str
    unit: str
    status: str  # ledger status, or "" when not sent yet


def plan(
    session: Session,
    engine: Any,
    obligations: Obligations,
    year: int,
    now: datetime,
    admin_keys: Any = (),
    channels: set[str] | None = None,
) -> dict[str, Any]:
    """What would be sent for ``year``, to whom, when, given the database as it is now.

    Every slot of every obligation is listed with the recipients it would have if it
    fell due now (units that have submitted are already excluded), plus the ledger
    status of each delivery that exists.
    """
    people = targets.load_people(session, admin_keys)
    office_name = next((u.name for u in people.units if u.standing_office), "")
    out: dict[str, Any] = {
        "year": year,
        "now": now.isoformat(),
        "in_scope": year in state.years(session, obligations),
        "obligations": [],
    }
    all_keys: list[str] = []
    entries: list[dict[str, Any]] = []
    entry_obligations: list[str] = []
    for s in targets.series(session, obligations, now, years=[year]):
        ob = s.obligation
        cur = current_slot(s.slots, now, obligations.policy)
        item: dict[str, Any] = {
            "id": ob.id,
            "title": ob.title,
            "due": s.due.isoformat(),
            "due_set_by_admin": s.due_set_by_admin,
            "met": s.met,
            "submitted_units": len(s.submitted) if ob.per_unit else None,
            "total_units": len(people.units) if ob.per_unit else None,
            "source": {"document": ob.source.document, "ref": ob.source.ref, "quote": ob.source.quote},
            "slots": [],
        }
        for slot in s.slots:
            recipients = _slot_recipients(s, slot, people, year, office_name)
            for r in recipients:
                r["deliverable"] = channels is None or r["channel"] in channels
                all_keys.append(r["key"])
            entry: dict[str, Any] = {
                "kind": slot.kind,
                "at": slot.at.isoformat(),
                "state": "current" if cur is slot else ("past" if slot.at <= now else "upcoming"),
                "recipients": recipients,
            }
            entries.append(entry)
            entry_obligations.append(ob.id)
            item["slots"].append(entry)
        out["obligations"].append(item)
    found = ledger.statuses(engine, all_keys)
    history = ledger.rows_for_year(engine, year)
    for entry, ob_id in zip(entries, entry_obligations, strict=True):
        _add_statuses(entry, found, history.get((ob_id, entry["kind"]), {}))
    return out


def _person(p: Any, key: str, unit: str = "", to: str | None = None) -> dict[str, Any]:
    return {"to": to or p.key, "unit": unit, "channel": p.channel, "key": key}


def _slot_recipients(
    s: targets.SeriesState, slot: Any, people: targets.People, year: int, office_name: str
) -> list[dict[str, Any]]:
    """Who this slot would go to if it fell due now (units that submitted excluded)."""
    ob = s.obligation
    if not ob.per_unit:
        if s.done is not None:
            return []
        return [
            _person(p, targets.ledger_key(ob.id, year, p.key, slot.kind), office_name) for p in people.office
        ]
    out = [
        _person(p, targets.ledger_key(ob.id, year, p.key, slot.kind), u.name)
        for u in people.units
        if u.id not in s.submitted
        for p in people.members.get(u.id, [])
    ]
    if ob.digest and len(s.submitted) < len(people.units):
        for p in people.digest_recipients():
            to = f"digest:{p.key}"
            out.append(_person(p, targets.ledger_key(ob.id, year, to, f"digest-{slot.kind}"), to=to))
    return out


def _add_statuses(entry: dict[str, Any], found: dict[str, Any], history: dict[str, tuple[str, str]]) -> None:
    """Ledger status of each recipient, plus deliveries of this slot whose recipient is no longer
    targeted (blocked the bot, left the unit, unit submitted later...)."""
    for r in entry["recipients"]:
        st = found.get(r["key"])
        r["status"] = st[0] if st else ""
        r["target"] = True
    listed = {r["key"] for r in entry["recipients"]}
    for key, (recipient, status) in history.items():
        if key not in listed:
            entry["recipients"].append(
                {
                    "to": recipient,
                    "unit": "",
                    "channel": recipient.removeprefix("digest:").split(":")[0],
                    "key": key,
                    "deliverable": False,
                    "status": status,
                    "target": False,
                }
            )


def plan_text(data: dict[str, Any]) -> str:
    lines = [f"Kế hoạch nhắc hạn năm {data['year']} (tính tại {data['now']}):"]
    if not data["in_scope"]:
        lines.append("Năm này nằm ngoài giai đoạn và chưa được mở: sẽ không có lời nhắc nào.")
    for ob in data["obligations"]:
        lines.append("")
        head = f"{ob['title']} — hạn {fmt_date(date.fromisoformat(ob['due']))}"
        if ob["due_set_by_admin"]:
            head += " (quản trị viên đặt)"
        lines.append(head)
        if ob["submitted_units"] is not None:
            lines.append(f"  Đã nộp: {ob['submitted_units']}/{ob['total_units']} đơn vị")
        if ob["met"]:
            lines.append("  Đã hoàn thành: không còn gì để nhắc.")
        for slot in ob["slots"]:
            at = datetime.fromisoformat(slot["at"])
            rec = slot["recipients"]
            sent = sum(1 for r in rec if r["status"] in ("sent", "unknown"))
            undeliverable = sum(1 for r in rec if not r["deliverable"])
            state_vn = {"current": "đến hạn", "past": "đã qua", "upcoming": "sắp tới"}[slot["state"]]
            line = (
                f"  {fmt_day(at.date())} {at.strftime('%H:%M')} [{slot['kind']}] {state_vn}: "
                f"{len(rec)} người nhận"
            )
            if sent:
                line += f", đã gửi {sent}"
            if undeliverable:
                line += f", {undeliverable} không gửi được qua kênh hiện có"
            lines.append(line)
            for r in rec:
                lines.append(
                    f"      - {r['to']}{' (' + r['unit'] + ')' if r['unit'] else ''}"
                    f"{' — ' + r['status'] if r['status'] else ''}"
                )
    return "\n".join(lines)
