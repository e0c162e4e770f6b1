"""On time or late ("nộp muộn"): a unit's first submission for a year against the due date in force
(the admin's /hanbaocao date, else the pack's default).  A later correction does not make a report
that arrived on time late (the compiled report, bot/report/, judges the same way)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from bot.reminders import state
from bot.reminders.obligations import for_app as obligations_for_app

if TYPE_CHECKING:
    from bot.app import App


def due_in_force(app: App, year: int) -> date:
    """The units' due date for ``year`` as it stands now."""
    obligations = obligations_for_app(app)
    with Session(app.engine) as session:
        return state.due_date(session, obligations.unit_report, year)[0]


def is_late(app: App, first_at: datetime | None, due: date) -> bool:
    return first_at is not None and app.local_day(first_at) > due


def mark_late(app: App, year: int, rows: list[Any]) -> date:
    """Set ``row.late`` on overview rows (one grouped query); returns the due date used."""
    from bot.report.queries import first_submitted

    due = due_in_force(app, year)
    firsts = first_submitted(app.engine, year)
    for r in rows:
        r.late = r.submission is not None and is_late(app, firsts.get(int(r.unit.id or 0)), due)
    return due
