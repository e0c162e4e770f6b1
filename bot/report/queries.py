"""The one query the report needs beyond :func:`bot.export.overview`: when each unit first submitted.

On time or late is judged by a unit's first submission for the year (a later correction does not make
a report that arrived on time late).  One grouped query, whatever the number of units.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.storage.models import Submission
from bot.store import as_utc


def first_submitted(engine: Engine, year: int) -> dict[int, datetime]:
    """unit_id -> the (aware UTC) time of its first submission for ``year``."""
    with Session(engine) as s:
        rows = s.exec(
            select(Submission.unit_id, func.min(Submission.submitted_at))
            .where(Submission.year == year)
            .group_by(col(Submission.unit_id))
        ).all()
    out: dict[int, datetime] = {}
    for unit_id, at in rows:
        t = as_utc(at)
        if t is not None:
            out[int(unit_id)] = t
    return out
