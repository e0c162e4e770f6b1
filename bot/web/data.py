"""What each page shows, read in a constant number of SQL statements (no query per unit).

The overview reuses :func:`bot.export.overview` (the rows of ``directive-bot export``), so the
figures on the page are the export's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlmodel import Session

from bot.config import TIMEZONE
from bot.export import UnitStatus, category_counts, overview
from bot.forms import display
from bot.reminders import state
from bot.reminders.obligations import for_app as obligations_for_app
from bot.storage.models import AuditLog, Delivery, Membership, StoredFile, Submission, Unit, User

TZ = ZoneInfo(TIMEZONE)
_SUB = Submission.__table__  # type: ignore[attr-defined]
_USER = User.__table__  # type: ignore[attr-defined]
_MEMBER = Membership.__table__  # type: ignore[attr-defined]
_UNIT = Unit.__table__  # type: ignore[attr-defined]
_DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
_FILE = StoredFile.__table__  # type: ignore[attr-defined]
_AUDIT = AuditLog.__table__  # type: ignore[attr-defined]


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def local(app: Any, dt: datetime | None) -> str:
    """``dd/mm/yyyy HH:MM`` in Asia/Ho_Chi_Minh (as the export writes it)."""
    if dt is None:
        return ""
    return _aware(dt).astimezone(TZ).strftime("%d/%m/%Y %H:%M")


def local_date(app: Any, dt: datetime) -> date:
    return _aware(dt).astimezone(TZ).date()


def numeric_fields(app: Any) -> list[Any]:
    return [f for f in app.form.fields if f.type in ("integer", "money") and f.key != "year"]


@dataclass(slots=True)
class Row:
    status: UnitStatus
    timing: str  # "on_time" | "late" | "missing"
    first_at: datetime | None = None
    members: list[tuple[str, str]] = field(default_factory=list)  # (key, name)
    last_reminder: datetime | None = None
    label: str = ""  # the category's Vietnamese name
    when: str = ""  # the latest version's time, local
    who: str = ""  # who submitted it


@dataclass(slots=True)
class Category:
    key: str
    label: str
    submitted: int
    total: int
    on_time: int = 0
    late: int = 0


@dataclass(slots=True)
class Overview:
    year: int
    due: date
    rows: list[Row]
    categories: list[Category]
    totals: list[tuple[str, str]]

    @property
    def submitted(self) -> int:
        return sum(1 for r in self.rows if r.status.submitted)

    @property
    def on_time(self) -> int:
        return sum(1 for r in self.rows if r.timing == "on_time")

    @property
    def late(self) -> int:
        return sum(1 for r in self.rows if r.timing == "late")

    @property
    def missing(self) -> list[Row]:
        return [r for r in self.rows if not r.status.submitted]


def due_date(app: Any, year: int) -> date:
    obligations = obligations_for_app(app)
    with Session(app.engine) as session:
        return state.due_date(session, obligations.unit_report, year)[0]


def first_submissions(app: Any, year: int) -> dict[int, datetime]:
    """unit_id -> when its first version of ``year`` arrived (what on time / late is judged by)."""
    stmt = (
        select(_SUB.c.unit_id, func.min(_SUB.c.submitted_at))
        .where(_SUB.c.year == year)
        .group_by(_SUB.c.unit_id)
    )
    with app.engine.connect() as conn:
        return {int(u): at for u, at in conn.execute(stmt)}


def members_of(app: Any, unit_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """unit_id -> approved members (key, name), for the given units, in one statement."""
    out: dict[int, list[tuple[str, str]]] = {}
    if not unit_ids:
        return out
    stmt = (
        select(_MEMBER.c.unit_id, _USER.c.key, _USER.c.display_name)
        .join(_USER, _USER.c.id == _MEMBER.c.user_id)
        .where(_MEMBER.c.status == "approved", _MEMBER.c.unit_id.in_(unit_ids))
        .order_by(_USER.c.id)
    )
    with app.engine.connect() as conn:
        for unit_id, key, name in conn.execute(stmt):
            out.setdefault(int(unit_id), []).append((key, name or key))
    return out


def last_reminders(app: Any, year: int) -> dict[str, datetime]:
    """recipient key -> the last reminder of ``year`` sent to them."""
    stmt = (
        select(_DELIVERY.c.recipient, func.max(_DELIVERY.c.sent_at))
        .where(_DELIVERY.c.year == year, _DELIVERY.c.status == "sent")
        .group_by(_DELIVERY.c.recipient)
    )
    with app.engine.connect() as conn:
        return {r: at for r, at in conn.execute(stmt) if at is not None}


def _timing(sub: Any, first: datetime | None, due: date, app: Any) -> str:
    if sub is None:
        return "missing"
    if first is not None and local_date(app, first) > due:
        return "late"
    return "on_time"


def _categories(app: Any, rows: list[Row]) -> list[Category]:
    cats = {
        k: Category(k, app.category_label(k), s, t) for k, s, t in category_counts([r.status for r in rows])
    }
    for r in rows:
        c = cats[r.status.unit.category]
        c.on_time += r.timing == "on_time"
        c.late += r.timing == "late"
    return list(cats.values())


def _totals(app: Any, rows: list[Row]) -> list[tuple[str, str]]:
    out = []
    for f in numeric_fields(app):
        total = sum(int(r.status.submission.answers.get(f.key) or 0) for r in rows if r.status.submission)
        out.append((f.label, display(f, total)))
    return out


def build_overview(app: Any, year: int) -> Overview:
    due = due_date(app, year)
    statuses = overview(app.store, year)
    firsts = first_submissions(app, year)
    labels = {c: app.category_label(c) for c in {s.unit.category for s in statuses}}
    rows = []
    for s in statuses:
        row = Row(s, _timing(s.submission, firsts.get(s.unit.id), due, app), firsts.get(s.unit.id))
        row.label = labels[s.unit.category]
        if s.submission is not None:
            row.when = local(app, s.submission.submitted_at)
        if s.submitter is not None:
            row.who = s.submitter.display_name or s.submitter.key
        rows.append(row)
    missing = [r for r in rows if not r.status.submitted]
    members = members_of(app, [r.status.unit.id for r in missing])
    sent = last_reminders(app, year) if missing else {}
    for r in missing:
        r.members = members.get(r.status.unit.id, [])
        times = [sent[k] for k, _ in r.members if k in sent]
        r.last_reminder = max(times) if times else None
    return Overview(year, due, rows, _categories(app, rows), _totals(app, rows))


# ----------------------------------------------------------------- units
@dataclass(slots=True)
class Version:
    id: int
    year: int
    version: int
    answers: dict[str, Any]
    submitted_at: datetime
    who: str
    file: dict[str, Any] | None


def unit_versions(app: Any, unit_id: int, year: int) -> list[Version]:
    """Every version of a unit's report for ``year`` with its submitter and file (one statement)."""
    stmt = (
        select(
            _SUB.c.id,
            _SUB.c.year,
            _SUB.c.version,
            _SUB.c.answers,
            _SUB.c.submitted_at,
            _USER.c.key,
            _USER.c.display_name,
            _FILE.c.id.label("f_id"),
            _FILE.c.filename,
            _FILE.c.size,
            _FILE.c.sha256,
            _FILE.c.mime_type,
        )
        .select_from(_SUB)
        .outerjoin(_USER, _USER.c.id == _SUB.c.submitted_by_user_id)
        .outerjoin(_FILE, _FILE.c.id == _SUB.c.file_id)
        .where(and_(_SUB.c.unit_id == unit_id, _SUB.c.year == year))
        .order_by(_SUB.c.version.desc())
    )
    out = []
    with app.engine.connect() as conn:
        for r in conn.execute(stmt):
            file = None
            if r.f_id is not None:
                file = {
                    "id": r.f_id,
                    "filename": r.filename,
                    "size": r.size,
                    "sha256": r.sha256,
                    "mime": r.mime_type,
                }
            who = f"{r.display_name} ({r.key})" if r.display_name else (r.key or "")
            out.append(Version(r.id, r.year, r.version, r.answers or {}, r.submitted_at, who, file))
    return out


def unit_years(app: Any, unit_id: int) -> dict[int, int]:
    """year -> number of versions the unit submitted."""
    stmt = select(_SUB.c.year, func.count()).where(_SUB.c.unit_id == unit_id).group_by(_SUB.c.year)
    with app.engine.connect() as conn:
        return {int(y): int(n) for y, n in conn.execute(stmt)}


def get_unit(app: Any, unit_id: int) -> Any:
    with app.engine.connect() as conn:
        return conn.execute(select(_UNIT).where(_UNIT.c.id == unit_id)).first()


def field_rows(app: Any, answers: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.label, display(f, answers.get(f.key))) for f in app.form.fields if f.key != "year"]


def diff(app: Any, old: Version, new: Version) -> list[tuple[str, str, str, bool]]:
    """(label, old value, new value, changed) for every field of the form."""
    out = []
    for f in app.form.fields:
        if f.key == "year":
            continue
        a, b = display(f, old.answers.get(f.key)), display(f, new.answers.get(f.key))
        out.append((f.label, a, b, a != b))
    return out


def get_file(app: Any, file_id: int) -> Any:
    with app.engine.connect() as conn:
        return conn.execute(select(_FILE).where(_FILE.c.id == file_id)).first()


# ----------------------------------------------------------------- audit
AUDIT_PAGE = 100


def audit(app: Any, action: str = "", actor: str = "", before_id: int | None = None) -> list[Any]:
    stmt = select(_AUDIT).order_by(_AUDIT.c.id.desc()).limit(AUDIT_PAGE)
    if action:
        stmt = stmt.where(_AUDIT.c.action.like(action.replace("%", "") + "%"))
    if actor:
        stmt = stmt.where(_AUDIT.c.actor == actor)
    if before_id:
        stmt = stmt.where(_AUDIT.c.id < before_id)
    with app.engine.connect() as conn:
        return list(conn.execute(stmt))


def audit_actions(app: Any) -> list[str]:
    with app.engine.connect() as conn:
        return sorted(a for (a,) in conn.execute(select(_AUDIT.c.action).distinct()))


# ------------------------------------------------------------- reminders
DELIVERY_PAGE = 300


@dataclass(slots=True)
class Schedule:
    obligation: Any
    due: date
    set_by_admin: bool
    slots: list[dict[str, Any]]


def schedules(app: Any, year: int) -> list[Schedule]:
    """Each obligation's due date for ``year`` and its reminder times with what the ledger holds."""
    from bot.reminders.policy import slots_for

    obligations = obligations_for_app(app)
    stmt = (
        select(_DELIVERY.c.obligation, _DELIVERY.c.kind, _DELIVERY.c.status, func.count())
        .where(_DELIVERY.c.year == year)
        .group_by(_DELIVERY.c.obligation, _DELIVERY.c.kind, _DELIVERY.c.status)
    )
    counts: dict[tuple[str, str], dict[str, int]] = {}
    with app.engine.connect() as conn:
        for ob, kind, status, n in conn.execute(stmt):
            counts.setdefault((ob, kind.removeprefix("digest-")), {})[status] = int(n)
    now = app.now()
    out = []
    with Session(app.engine) as session:
        for ob in obligations.items:
            due, by_admin = state.due_date(session, ob, year)
            slots = [
                {
                    "at": s.at,
                    "label": s.label,
                    "past": s.at <= now,
                    "counts": counts.get((ob.id, s.kind), {}),
                }
                for s in slots_for(due, obligations.policy)
            ]
            out.append(Schedule(ob, due, by_admin, slots))
    return out


def deliveries(app: Any, year: int, status: str = "") -> list[Any]:
    stmt = (
        select(_DELIVERY)
        .where(_DELIVERY.c.year == year)
        .order_by(_DELIVERY.c.claimed_at.desc(), _DELIVERY.c.id.desc())
        .limit(DELIVERY_PAGE)
    )
    if status:
        stmt = stmt.where(_DELIVERY.c.status == status)
    with app.engine.connect() as conn:
        return list(conn.execute(stmt))
