"""The inbox table: accept an update before acknowledging it; take it; finish it atomically.

Taking is one statement on both databases::

    UPDATE inboxupdate SET status='taken', owner=:me, lease_until=:until, attempts=attempts+1
    WHERE id IN (SELECT id FROM inboxupdate i
                 WHERE (status='new' OR (status='taken' AND lease_until < :now))
                   AND NOT EXISTS (SELECT 1 FROM inboxupdate j            -- the user's oldest
                                   WHERE j.user_key = i.user_key AND j.status <> 'done' AND j.id < i.id)
                 ORDER BY id LIMIT :n
                 FOR UPDATE SKIP LOCKED)                                  -- PostgreSQL only
    RETURNING ...

Only a user's oldest unfinished update can be taken, so one user's updates run in
order, on one instance at a time, while different users run concurrently (on any
instance).  SQLite runs the statement under its single write lock; PostgreSQL's
``SKIP LOCKED`` lets instances take different rows without waiting for each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.sanitize import clean_json, clean_line
from bot.storage.models import InboxUpdate

T = InboxUpdate.__table__  # type: ignore[attr-defined]
MAX_KEY = 256


class KeyTooLong(ValueError):
    """An update id longer than any platform's: refused (never cut, two ids could then collide)."""


@dataclass(frozen=True, slots=True)
class Taken:
    id: int
    channel: str
    update_key: str
    user_key: str
    payload: dict[str, Any]
    attempts: int


def _insert(engine: Engine) -> Any:
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def _now() -> datetime:
    return datetime.now(UTC)


def accept(engine: Engine, items: Sequence[tuple[str, str, str, dict[str, Any]]]) -> list[bool]:
    """Insert (channel, update_key, user_key, payload) rows in ONE transaction; True where new.

    Committed when this returns: only then may the caller acknowledge the updates.
    """
    if not items:
        return []
    now = _now()
    rows = []
    for channel, key, user_key, payload in items:
        key = clean_line(str(key))
        if len(key) > MAX_KEY or not key:
            raise KeyTooLong(f"update id of {len(key)} characters")
        rows.append(
            {
                "channel": channel,
                "update_key": key,
                "user_key": clean_line(user_key)[:200],
                "payload": clean_json(payload),
                "status": "new",
                "owner": "",
                "lease_until": None,
                "attempts": 0,
                "received_at": now,
                "done_at": None,
            }
        )
    stmt = (
        _insert(engine)(T)
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        .returning(T.c.channel, T.c.update_key)
    )
    with engine.begin() as conn:
        fresh: set[tuple[str, str]] = set()
        for row in rows:  # one by one: RETURNING of a multi-row insert is not ordered on every driver
            got = conn.execute(stmt, row).first()
            if got is not None:
                fresh.add((got[0], got[1]))
    return [(r["channel"], r["update_key"]) in fresh for r in rows]


def take(engine: Engine, owner: str, channels: Sequence[str], limit: int, lease: float) -> list[Taken]:
    """Take up to ``limit`` rows (each the oldest unfinished one of its user) for ``lease`` seconds."""
    if limit <= 0 or not channels:
        return []
    now = _now()
    j = T.alias("j")
    eligible = (
        select(T.c.id)
        .where(
            T.c.channel.in_(list(channels)),
            or_(T.c.status == "new", and_(T.c.status == "taken", T.c.lease_until < now)),
            ~exists().where(j.c.user_key == T.c.user_key, j.c.status != "done", j.c.id < T.c.id),
        )
        .order_by(T.c.id)
        .limit(limit)
    )
    if engine.dialect.name == "postgresql":
        eligible = eligible.with_for_update(skip_locked=True)
    stmt = (
        update(T)
        .where(T.c.id.in_(eligible.scalar_subquery()))
        .values(
            status="taken", owner=owner, lease_until=now + timedelta(seconds=lease), attempts=T.c.attempts + 1
        )
        .returning(T.c.id, T.c.channel, T.c.update_key, T.c.user_key, T.c.payload, T.c.attempts)
    )
    with engine.begin() as conn:
        rows = conn.execute(stmt).all()
    out = [Taken(r[0], r[1], r[2], r[3], r[4] or {}, r[5]) for r in rows]
    out.sort(key=lambda t: t.id)
    return out


def renew(engine: Engine, owner: str, lease: float) -> int:
    """Extend the lease of every row this owner holds (a live instance keeps what it took)."""
    with engine.begin() as conn:
        return (
            conn.execute(
                update(T)
                .where(T.c.owner == owner, T.c.status == "taken")
                .values(lease_until=_now() + timedelta(seconds=lease))
            ).rowcount
            or 0
        )


def release(engine: Engine, owner: str, ids: Sequence[int] | None = None) -> int:
    """Give rows back (``new``) so that the next start, or another instance, takes them at once."""
    cond = [T.c.owner == owner, T.c.status == "taken"]
    if ids is not None:
        if not ids:
            return 0
        cond.append(T.c.id.in_(list(ids)))
    with engine.begin() as conn:
        return (
            conn.execute(update(T).where(*cond).values(status="new", owner="", lease_until=None)).rowcount
            or 0
        )


def mark_done_stmt(row_id: int, owner: str) -> Any:
    """The statement that ends a turn (run inside the turn's transaction): 0 rows = lease lost."""
    return (
        update(T)
        .where(T.c.id == row_id, T.c.owner == owner, T.c.status == "taken")
        .values(status="done", done_at=_now())
    )


def counts(engine: Engine) -> dict[str, int]:
    from sqlalchemy import func

    with engine.connect() as conn:
        return {s: n for s, n in conn.execute(select(T.c.status, func.count()).group_by(T.c.status))}


def prune(engine: Engine, older_than: timedelta = timedelta(days=7)) -> int:
    """Forget done rows older than a week (a platform does not re-deliver after that long)."""
    with engine.begin() as conn:
        return (
            conn.execute(
                delete(T).where(T.c.status == "done", T.c.received_at < _now() - older_than)
            ).rowcount
            or 0
        )
