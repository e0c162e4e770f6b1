"""Read-only queries shaped for the work: one statement each, column tuples, no ORM objects.

A province has hundreds of units and a hundred thousand users; the overview pages,
exports and reminders read them all. Loading ORM objects row by row (or each
submitter in its own session) made ``/trangthai`` cost 700 statements; here each
question the handlers and pages ask is one ``SELECT`` whose result is plain, frozen
values (:class:`UnitInfo`, :class:`SubmissionInfo`, :class:`SubmitterInfo`) that keep
the attribute names of the models, so code written against ``Unit``/``Submission``/
``User`` reads them unchanged.

The indexes these queries use are created by migration ``0002``; see
``docs/DESIGN.md`` ("Scale") for the ``EXPLAIN`` of each on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine

from bot.storage.models import Submission, Unit, User

_UNIT = Unit.__table__  # type: ignore[attr-defined]
_SUB = Submission.__table__  # type: ignore[attr-defined]
_USER = User.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class UnitInfo:
    id: int
    name: str
    category: str
    standing_office: bool = False
    active: bool = True


@dataclass(frozen=True, slots=True)
class SubmissionInfo:
    id: int
    unit_id: int
    year: int
    version: int
    answers: dict[str, Any]
    submitted_at: datetime
    submitted_by_user_id: int
    file_id: int | None = None


@dataclass(frozen=True, slots=True)
class SubmitterInfo:
    id: int
    key: str
    display_name: str
    full_name: str = ""  # asked at registration (issue 15 item 8)
    position: str = ""

    @property
    def shown(self) -> str:
        """Who submitted, as the standing office reads it: "Nguyễn Văn An (chuyên viên)", else the handle."""
        if self.full_name:
            return f"{self.full_name} ({self.position})" if self.position else self.full_name
        return self.display_name or self.key


@dataclass(frozen=True, slots=True)
class CategoryCount:
    category: str
    submitted: int
    total: int


@dataclass(frozen=True, slots=True)
class OverviewSummary:
    """Counts only (no answers): what a dashboard shows first."""

    year: int
    submitted: int
    total: int
    categories: list[CategoryCount]


def _latest_versions(year: int) -> Any:
    """unit_id -> max(version) of ``year`` (index ``ix_submission_year_unit_version`` answers it alone)."""
    return (
        select(_SUB.c.unit_id, func.max(_SUB.c.version).label("version"))
        .where(_SUB.c.year == year)
        .group_by(_SUB.c.unit_id)
        .subquery("latest")
    )


def overview_statement(year: int) -> Any:
    """Active units (by id) with their latest submission of ``year`` and its submitter: one SELECT."""
    latest = _latest_versions(year)
    return (
        select(
            _UNIT.c.id,
            _UNIT.c.name,
            _UNIT.c.category,
            _UNIT.c.standing_office,
            _SUB.c.id.label("s_id"),
            _SUB.c.version,
            _SUB.c.answers,
            _SUB.c.submitted_at,
            _SUB.c.submitted_by_user_id,
            _SUB.c.file_id,
            _USER.c.id.label("p_id"),
            _USER.c.key,
            _USER.c.display_name,
            _USER.c.full_name,
            _USER.c.position,
        )
        .select_from(_UNIT)
        .outerjoin(latest, latest.c.unit_id == _UNIT.c.id)
        .outerjoin(
            _SUB,
            and_(_SUB.c.unit_id == _UNIT.c.id, _SUB.c.year == year, _SUB.c.version == latest.c.version),
        )
        .outerjoin(_USER, _USER.c.id == _SUB.c.submitted_by_user_id)
        .where(_UNIT.c.active == True)  # noqa: E712
        .order_by(_UNIT.c.id)
    )


OverviewRow = tuple[UnitInfo, SubmissionInfo | None, SubmitterInfo | None]


def overview_rows(bind: Engine | Connection, year: int) -> list[OverviewRow]:
    """Every active unit with its latest submission for ``year`` (or None) and who submitted it."""
    out: list[OverviewRow] = []
    with _connect(bind) as conn:
        for r in conn.execute(overview_statement(year)):
            unit = UnitInfo(r.id, r.name, r.category, bool(r.standing_office))
            sub = None
            who = None
            if r.s_id is not None:
                sub = SubmissionInfo(
                    r.s_id,
                    r.id,
                    year,
                    r.version,
                    r.answers or {},
                    r.submitted_at,
                    r.submitted_by_user_id,
                    r.file_id,
                )
                if r.p_id is not None:
                    who = SubmitterInfo(
                        r.p_id, r.key, r.display_name or "", r.full_name or "", r.position or ""
                    )
            out.append((unit, sub, who))
    return out


def overview_summary(bind: Engine | Connection, year: int) -> OverviewSummary:
    """Submitted/total active units for ``year``, overall and per category, in one statement."""
    reported = select(_SUB.c.unit_id).where(_SUB.c.year == year).distinct().subquery("reported")
    stmt = (
        select(_UNIT.c.category, func.count(), func.count(reported.c.unit_id))
        .select_from(_UNIT)
        .outerjoin(reported, reported.c.unit_id == _UNIT.c.id)
        .where(_UNIT.c.active == True)  # noqa: E712
        .group_by(_UNIT.c.category)
    )
    with _connect(bind) as conn:
        cats = [CategoryCount(c, int(done), int(total)) for c, total, done in conn.execute(stmt)]
    return OverviewSummary(year, sum(c.submitted for c in cats), sum(c.total for c in cats), cats)


def active_unit_count(bind: Engine | Connection) -> int:
    active = _UNIT.c.active == True  # noqa: E712
    with _connect(bind) as conn:
        return int(conn.execute(select(func.count()).select_from(_UNIT).where(active)).scalar_one())


def active_unit_ids(bind: Engine | Connection) -> set[int]:
    with _connect(bind) as conn:
        return set(conn.execute(select(_UNIT.c.id).where(_UNIT.c.active == True)).scalars())  # noqa: E712


class _connect:
    """Use a given connection as is, or open (and close) one on an engine."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self.conn: Connection | None = None

    def __enter__(self) -> Connection:
        if isinstance(self.bind, Connection):
            return self.bind
        self.conn = self.bind.connect()
        return self.conn

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.close()
