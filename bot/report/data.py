"""Everything the compiled report says, computed once from stored data and the pack.

Each figure is traceable: the entries are the latest stored submission of each active unit (the
same rows as ``directive-bot export``), the totals are sums over those entries, on time / late
compares a unit's first submission (local date) with the due date in force (an admin's
``/hanbaocao`` or the pack's default), and every text is a unit's own answer, attributed.
An empty answer stays ``None`` and the writers say "không ghi".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.export import UnitStatus, overview
from bot.report.letterhead import Basis, Definition, load_definition
from bot.report.queries import first_submitted
from bot.storage.queries import UnitInfo as Unit  # what overview() returns
from bot.store import as_utc

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Entry:
    """One unit that reported: its latest version, with the values the report uses."""

    no: int
    unit: Unit
    category_label: str
    version: int
    first_at: datetime  # local time of the first submission for the year
    latest_at: datetime  # local time of the version used
    late: bool | None  # None when no due date applies
    values: dict[str, Any]  # role -> stored answer (None when the unit left it empty)

    def value(self, role: str) -> Any:
        return self.values.get(role)


@dataclass(slots=True)
class CategoryStat:
    category: str
    label: str
    total: int = 0
    submitted: int = 0
    on_time: int = 0
    late: int = 0
    missing: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Totals:
    models: int = 0
    models_reported: int = 0  # entries with a value for "models"
    funding: int = 0
    funding_reported: int = 0


@dataclass(slots=True)
class Report:
    year: int
    generated_at: datetime  # local
    definition: Definition
    basis: Basis | None
    due: date | None
    due_by_admin: bool
    units_total: int
    entries: list[Entry]
    missing: list[tuple[Unit, str]]  # (unit, category label) in registry order
    categories: list[CategoryStat]
    totals: Totals
    labels: dict[str, str]  # role -> the report form's label

    @property
    def subject(self) -> str:
        return self.definition.subject.replace("{year}", str(self.year))

    @property
    def on_time(self) -> int:
        return sum(1 for e in self.entries if e.late is False)

    @property
    def late(self) -> int:
        return sum(1 for e in self.entries if e.late)

    def texts(self, role: str) -> tuple[list[tuple[str, str]], list[str]]:
        """(unit name, its answer) for units that wrote ``role``, and the names of those that did not."""
        given: list[tuple[str, str]] = []
        empty: list[str] = []
        for e in self.entries:
            v = e.value(role)
            if isinstance(v, str) and v.strip():
                given.append((e.unit.name, v.strip()))
            else:
                empty.append(e.unit.name)
        return given, empty


def _due(app: Any, definition: Definition, year: int) -> tuple[date | None, bool]:
    """The due date in force for the units' report, and whether an admin set it."""
    from bot.reminders import obligations as obligations_mod
    from bot.reminders import state
    from bot.reminders.policy import PolicyError
    from bot.storage.db import session_scope

    try:
        obs = obligations_mod.for_app(app)
        ob = obs.get(definition.obligation) if definition.obligation else obs.unit_report
    except (PolicyError, KeyError, OSError) as exc:
        log.info("Báo cáo tổng hợp: không xác định được hạn nộp (%s).", exc)
        return None, False
    with session_scope(app.engine) as session:
        return state.due_date(session, ob, year)


def _basis(app: Any, definition: Definition) -> Basis | None:
    if definition.basis is not None:
        return definition.basis
    from bot.reminders import obligations as obligations_mod
    from bot.reminders.policy import PolicyError

    try:
        src = obligations_mod.for_app(app).unit_report.source
    except (PolicyError, KeyError, OSError):
        return None
    meta = getattr(app.pack, "meta", {}) or {}
    return Basis(
        src.document,
        str(meta.get("kind", "")),
        str(meta.get("date", "")),
        str(meta.get("issuer", "")),
        str(meta.get("subject", "")),
        src.ref,
        src.quote,
    )


def _entry(no: int, r: UnitStatus, label: str, first: datetime | None, ctx: dict[str, Any]) -> Entry:
    sub = r.submission
    assert sub is not None
    tz, due, fields = ctx["tz"], ctx["due"], ctx["fields"]
    latest = as_utc(sub.submitted_at)
    assert latest is not None
    first_local = (first or latest).astimezone(tz)
    answers = sub.answers or {}
    values = {role: answers.get(key) for role, key in fields.items()}
    for role in ("models", "funding"):
        v = values.get(role)
        values[role] = int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
    return Entry(
        no=no,
        unit=r.unit,
        category_label=label,
        version=sub.version,
        first_at=first_local,
        latest_at=latest.astimezone(tz),
        late=None if due is None else first_local.date() > due,
        values=values,
    )


def _totals(entries: list[Entry]) -> Totals:
    t = Totals()
    for e in entries:
        if e.value("models") is not None:
            t.models += e.value("models")
            t.models_reported += 1
        if e.value("funding") is not None:
            t.funding += e.value("funding")
            t.funding_reported += 1
    return t


def _categories(rows: list[UnitStatus], entries: dict[int, Entry], label: Any) -> list[CategoryStat]:
    stats: dict[str, CategoryStat] = {}
    for r in rows:
        c = stats.setdefault(r.unit.category, CategoryStat(r.unit.category, label(r.unit.category)))
        c.total += 1
        e = entries.get(r.unit.id or 0)
        if e is None:
            c.missing.append(r.unit.name)
            continue
        c.submitted += 1
        c.late += int(bool(e.late))
        c.on_time += int(e.late is False)
    return list(stats.values())  # overview() already sorts by category


def compile_report(app: Any, year: int) -> Report:
    from bot.app import TZ

    definition = load_definition(app)
    rows = overview(app.store, year)
    firsts = first_submitted(app.engine, year)
    due, by_admin = _due(app, definition, year)
    ctx = {"tz": TZ, "due": due, "fields": definition.fields}
    by_unit: dict[int, Entry] = {}
    entries: list[Entry] = []
    missing: list[tuple[Unit, str]] = []
    for r in rows:
        label = app.category_label(r.unit.category)
        if r.submission is None:
            missing.append((r.unit, label))
            continue
        e = _entry(len(entries) + 1, r, label, firsts.get(r.unit.id or 0), ctx)
        entries.append(e)
        by_unit[r.unit.id or 0] = e
    labels = {}
    for role, key in definition.fields.items():
        labels[role] = app.form.field(key).label
    return Report(
        year=year,
        generated_at=app.now(),
        definition=definition,
        basis=_basis(app, definition),
        due=due,
        due_by_admin=by_admin,
        units_total=len(rows),
        entries=entries,
        missing=missing,
        categories=_categories(rows, by_unit, app.category_label),
        totals=_totals(entries),
        labels=labels,
    )
