"""Admin-changeable reminder settings, stored in the ``Setting`` table (read without a restart).

Keys
- ``reminders.due.<obligation>.<year>``  -> ``"YYYY-MM-DD"``: a due date an admin set (wins over the
  pack's default)
- ``report.open_years``                  -> ``[2026, ...]``: years outside the directive's period an
  admin opened
  (the same key :mod:`bot.app` reads for the report form's years)
- ``reminders.done.<obligation>.<year>`` -> ``{"by": ..., "at": ...}``: a ``marked_done`` obligation met

Every change writes an ``AuditLog`` row in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.reminders.obligations import Obligation, Obligations
from bot.reminders.policy import PolicyError, fmt_date, years_in_scope
from bot.storage.db import session_scope
from bot.storage.models import AuditLog, Setting, utcnow

OPEN_YEARS_KEY = "report.open_years"  # shared with bot.app.SETTING_OPEN_YEARS
MIN_YEAR, MAX_YEAR = 2000, 2100


def due_key(obligation_id: str, year: int) -> str:
    return f"reminders.due.{obligation_id}.{year}"


def done_key(obligation_id: str, year: int) -> str:
    return f"reminders.done.{obligation_id}.{year}"


def _get(session: Session, key: str) -> Any:
    row = session.get(Setting, key)
    return None if row is None else row.value


def _put(session: Session, key: str, value: Any, actor: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value, updated_by=actor))
    else:
        row.value = value
        row.updated_at = utcnow()
        row.updated_by = actor
        session.add(row)


def open_years(session: Session) -> list[int]:
    raw = _get(session, OPEN_YEARS_KEY) or []
    years: list[int] = []
    for y in raw if isinstance(raw, list) else []:
        try:
            years.append(int(y))
        except (TypeError, ValueError):
            continue
    return sorted(set(years))


def years(session: Session, obligations: Obligations) -> list[int]:
    """The years reminders are scheduled for: the directive's period plus opened years."""
    return years_in_scope(obligations.period_start, obligations.period_end, open_years(session))


def due_date(session: Session, obligation: Obligation, year: int) -> tuple[date, bool]:
    """``(due date, set_by_admin)`` for one obligation and year."""
    raw = _get(session, due_key(obligation.id, year))
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw), True
        except ValueError:
            pass
    return obligation.default_due_date(year), False


def done_mark(session: Session, obligation_id: str, year: int) -> dict[str, Any] | None:
    raw = _get(session, done_key(obligation_id, year))
    return raw if isinstance(raw, dict) else None


def check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PolicyError(f"Năm {year} không hợp lệ.")


@dataclass(frozen=True, slots=True)
class DueChange:
    obligation: Obligation
    year: int
    old: date
    new: date
    opened_year: bool  # the year was outside the period and has now been opened


def set_due(
    engine: Engine, obligations: Obligations, obligation_id: str, year: int, new: date, actor: str
) -> DueChange:
    """Store a new due date (and open the year if it lies outside the directive's period).

    Setting a due date for a year outside the period is an explicit admin decision to
    remind for that year, so it opens the year; the reply says so.
    """
    check_year(year)
    ob = obligations.get(obligation_id)
    if not (year <= new.year <= year + 1):
        raise PolicyError(
            f"Hạn {fmt_date(new)} không hợp lý cho báo cáo năm {year}: "
            f"hạn phải nằm trong năm {year} hoặc năm {year + 1}."
        )
    with session_scope(engine) as session:
        old, _ = due_date(session, ob, year)
        opened = False
        if not obligations.in_period(year):
            current = open_years(session)
            if year not in current:
                _put(session, OPEN_YEARS_KEY, [*current, year], actor)
                opened = True
        _put(session, due_key(ob.id, year), new.isoformat(), actor)
        session.add(
            AuditLog(
                actor=actor,
                action="reminders.set_due",
                detail={
                    "obligation": ob.id,
                    "year": year,
                    "old": old.isoformat(),
                    "new": new.isoformat(),
                    "opened_year": opened,
                },
            )
        )
    return DueChange(ob, year, old, new, opened)


def open_year(engine: Engine, obligations: Obligations, year: int, actor: str) -> bool:
    """Open a year outside the period; False when it was already in scope."""
    check_year(year)
    with session_scope(engine) as session:
        if obligations.in_period(year) or year in open_years(session):
            return False
        _put(session, OPEN_YEARS_KEY, [*open_years(session), year], actor)
        session.add(AuditLog(actor=actor, action="reminders.open_year", detail={"year": year}))
    return True


def mark_done(engine: Engine, obligations: Obligations, obligation_id: str, year: int, actor: str) -> bool:
    """Record that a ``marked_done`` obligation was met; False if it already was."""
    check_year(year)
    ob = obligations.get(obligation_id)
    if ob.met_by != "marked_done":
        raise PolicyError(f"Nghĩa vụ “{ob.title}” được tính theo báo cáo đã nộp, không đánh dấu thủ công.")
    with session_scope(engine) as session:
        if done_mark(session, ob.id, year) is not None:
            return False
        _put(session, done_key(ob.id, year), {"by": actor, "at": utcnow().isoformat()}, actor)
        session.add(
            AuditLog(actor=actor, action="reminders.mark_done", detail={"obligation": ob.id, "year": year})
        )
    return True
