"""Who gets which reminder: the database state (units, members, submissions) meets the policy.

:func:`due_messages` answers "what must be sent at this instant": for each obligation
and year in scope, the current slot (see :mod:`bot.reminders.policy`), the units that
have not met the obligation, their approved, active members, and the standing
office's digest. The ledger then sends each message at most once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select as core_select
from sqlmodel import Session, select

from bot.messages import Outgoing, Reply
from bot.reminders import state, texts
from bot.reminders.obligations import Obligation, Obligations
from bot.reminders.policy import Slot, current_slot, slots_for
from bot.storage import queries
from bot.storage.models import Membership, Submission, Unit, User


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    key: str  # "channel:external_id"
    channel: str
    chat_id: str
    name: str


@dataclass(frozen=True, slots=True)
class UnitRow:
    id: int
    name: str
    category: str
    standing_office: bool


@dataclass(slots=True)
class People:
    """Year-independent state: active units, their approved active members, the standing office, admins."""

    units: list[UnitRow]
    members: dict[int, list[Person]]
    office: list[Person]
    admins: list[Person]

    def digest_recipients(self) -> list[Person]:
        seen: dict[str, Person] = {}
        for p in [*self.office, *self.admins]:
            seen.setdefault(p.key, p)
        return list(seen.values())


@dataclass(slots=True)
class DueMessage:
    """One reminder or digest to one person, with what must still hold when it is sent."""

    key: str
    obligation: str
    year: int
    recipient: str  # user key, or "digest:<user key>"
    kind: str
    outgoing: Outgoing
    user_id: int
    unit_id: int | None = None  # cancel if this unit submits for ``year`` before sending
    done_key: str | None = None  # cancel if this setting appears before sending (obligation marked done)


def ledger_key(obligation: str, year: int, recipient: str, kind: str) -> str:
    return f"{obligation}|{year}|{recipient}|{kind}"


def load_people(session: Session, admin_keys: Iterable[str] = ()) -> People:
    """Active units, their approved active members, the standing office and the admins: three SELECTs
    of column tuples (a province's 100,000 members as ORM objects took seconds)."""
    U, M, P = Unit.__table__, Membership.__table__, User.__table__  # type: ignore[attr-defined]
    conn = session.connection()
    units = [
        UnitRow(uid, name, category, bool(office))
        for uid, name, category, office in conn.execute(
            select(U.c.id, U.c.name, U.c.category, U.c.standing_office)
            .where(U.c.active == True)  # noqa: E712
            .order_by(U.c.id)
        )
    ]
    office_ids = {u.id for u in units if u.standing_office}
    members: dict[int, list[Person]] = {}
    office: list[Person] = []
    rows = conn.execute(
        core_select(M.c.unit_id, P.c.id, P.c.key, P.c.channel, P.c.chat_id, P.c.display_name)
        .select_from(M)
        .join(P, P.c.id == M.c.user_id)
        .join(U, U.c.id == M.c.unit_id)
        .where(M.c.status == "approved", P.c.active == True, U.c.active == True)  # noqa: E712
        .order_by(P.c.id)
    )
    for unit_id, uid, key, channel, chat_id, name in rows.all():
        person = Person(uid, key, channel, chat_id, name)
        members.setdefault(unit_id, []).append(person)
        if unit_id in office_ids:
            office.append(person)
    admins: list[Person] = []
    keys = sorted(set(admin_keys))
    if keys:
        for cols in conn.execute(
            core_select(P.c.id, P.c.key, P.c.channel, P.c.chat_id, P.c.display_name).where(
                P.c.key.in_(keys),
                P.c.active == True,  # noqa: E712
            )
        ):
            admins.append(Person(*cols))
    return People(units, members, office, admins)


def submitted_units(session: Session, year: int) -> set[int]:
    return set(session.exec(select(Submission.unit_id).where(Submission.year == year).distinct()))


@dataclass(slots=True)
class SeriesState:
    """One obligation in one year at one instant."""

    obligation: Obligation
    year: int
    due: date
    due_set_by_admin: bool
    slots: list[Slot]
    current: Slot | None
    met: bool  # nobody left to remind (all units submitted / marked done)
    submitted: set[int] = field(default_factory=set)
    done: dict | None = None


def series(
    session: Session,
    obligations: Obligations,
    now: datetime,
    years: Iterable[int] | None = None,
) -> list[SeriesState]:
    out: list[SeriesState] = []
    active_units = queries.active_unit_ids(session.connection())
    for year in years if years is not None else state.years(session, obligations):
        submitted = submitted_units(session, year) & active_units  # type: ignore[operator]
        for ob in obligations.items:
            due, by_admin = state.due_date(session, ob, year)
            slots = slots_for(due, obligations.policy)
            done = state.done_mark(session, ob.id, year) if ob.met_by == "marked_done" else None
            met = bool(active_units) and active_units <= submitted if ob.per_unit else done is not None
            out.append(
                SeriesState(
                    ob,
                    year,
                    due,
                    by_admin,
                    slots,
                    current_slot(slots, now, obligations.policy),
                    met,
                    submitted,
                    done,
                )
            )
    return out


def future_instants(session: Session, obligations: Obligations, now: datetime) -> list[datetime]:
    """Every reminder time after ``now`` of a series not yet met (what the scheduler arms jobs for)."""
    times: set[datetime] = set()
    for s in series(session, obligations, now):
        if not s.met:
            times.update(slot.at for slot in s.slots if slot.at > now)
    return sorted(times)


def _reachable(p: Person, channels: set[str] | None) -> bool:
    return channels is None or p.channel in channels


def due_messages(
    session: Session,
    obligations: Obligations,
    now: datetime,
    admin_keys: Iterable[str] = (),
    channels: set[str] | None = None,
) -> list[DueMessage]:
    """Every message due at ``now`` (the ledger drops those already sent). Digests come last."""
    people: People | None = None
    reminders: list[DueMessage] = []
    digests: list[DueMessage] = []
    today = now.astimezone(obligations.policy.zone).date()
    for s in series(session, obligations, now):
        if s.current is None or s.met:
            continue
        if people is None:
            people = load_people(session, admin_keys)
        slot, ob, year = s.current, s.obligation, s.year
        kind = slot.kind  # computed (isoformat) on each access: once per series, not per message
        if ob.per_unit:
            missing = [u for u in people.units if u.id not in s.submitted]
            if not missing:
                continue
            for unit in missing:
                reply = Reply(texts.unit_reminder(obligations, ob, year, unit.name, s.due, today))
                for p in people.members.get(unit.id, []):
                    if _reachable(p, channels):
                        reminders.append(_message(ob, year, p, p.key, kind, reply, unit_id=unit.id))
            if ob.digest:
                missing_info = [
                    texts.MissingUnit(
                        u.name, u.category, any(_reachable(p, channels) for p in people.members.get(u.id, []))
                    )
                    for u in missing
                ]
                text = texts.digest(ob, year, s.due, today, len(s.submitted), len(people.units), missing_info)
                for p in people.digest_recipients():
                    if _reachable(p, channels):
                        digests.append(
                            _message(ob, year, p, f"digest:{p.key}", f"digest-{kind}", text, unit_id=None)
                        )
        else:
            sent, told = _compiled_messages(obligations, s, kind, people, today, channels)
            reminders.extend(sent)
            digests.extend(told)
    return reminders + digests


def _compiled_messages(
    obligations: Obligations,
    s: SeriesState,
    kind: str,
    people: People,
    today: date,
    channels: set[str] | None,
) -> tuple[list[DueMessage], list[DueMessage]]:
    """The standing office's reminders; when nobody there can be reached, a note to the admins saying why."""
    ob, year = s.obligation, s.year
    text = texts.compiled_reminder(obligations, ob, year, s.due, today, len(s.submitted), len(people.units))
    reached = [p for p in people.office if _reachable(p, channels)]
    sent = [_message(ob, year, p, p.key, kind, text, done_key=state.done_key(ob.id, year)) for p in reached]
    told: list[DueMessage] = []
    if not reached:  # once per slot (the ledger key)
        office = next((u.name for u in people.units if u.standing_office), "")
        why = texts.no_office_recipient(ob, year, s.due, today, office)
        told = [
            _message(ob, year, p, f"noone:{p.key}", f"noone-{kind}", why)
            for p in people.admins
            if _reachable(p, channels)
        ]
    return sent, told


def _message(
    ob: Obligation,
    year: int,
    person: Person,
    recipient: str,
    kind: str,
    text: str | Reply,
    unit_id: int | None = None,
    done_key: str | None = None,
) -> DueMessage:
    """One ledger entry; ``text`` may be a shared :class:`Reply` (one per unit: 100,000 messages)."""
    return DueMessage(
        key=ledger_key(ob.id, year, recipient, kind),
        obligation=ob.id,
        year=year,
        recipient=recipient,
        kind=kind,
        outgoing=Outgoing(
            person.channel,
            person.chat_id,
            text if isinstance(text, Reply) else Reply(text),
            user_key=person.key,
        ),
        user_id=person.user_id,
        unit_id=unit_id,
        done_key=done_key,
    )
