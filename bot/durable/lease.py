"""Named leases in the database: exactly one live instance holds one (Telegram long polling).

A holder renews before ``until``; when it dies, another instance takes the lease once
it has expired.  ``UPDATE … WHERE owner = me OR until < now`` is atomic on both
databases, and the first ``INSERT`` is settled by the primary key.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.storage.models import Lease

L = Lease.__table__  # type: ignore[attr-defined]


def acquire(engine: Engine, name: str, owner: str, ttl: float) -> bool:
    """Take or renew ``name`` for ``ttl`` seconds; False while another live owner holds it."""
    now = datetime.now(UTC)
    until = now + timedelta(seconds=ttl)
    with engine.begin() as conn:
        got = conn.execute(
            update(L)
            .where(L.c.name == name, or_(L.c.owner == owner, L.c.until < now))
            .values(owner=owner, until=until)
        ).rowcount
        if got:
            return True
    try:
        with engine.begin() as conn:
            conn.execute(insert(L).values(name=name, owner=owner, until=until))
        return True
    except IntegrityError:
        return False


def release(engine: Engine, name: str, owner: str) -> None:
    """Give the lease up at once (graceful stop): another instance takes over without waiting."""
    with engine.begin() as conn:
        conn.execute(
            update(L)
            .where(L.c.name == name, L.c.owner == owner)
            .values(until=datetime(2000, 1, 1, tzinfo=UTC))
        )


def holder(engine: Engine, name: str) -> str | None:
    """The live owner of ``name``, if any."""
    from sqlalchemy import select

    with engine.connect() as conn:
        row = conn.execute(select(L.c.owner, L.c.until).where(L.c.name == name)).first()
    if row is None:
        return None
    until = row[1] if row[1].tzinfo else row[1].replace(tzinfo=UTC)
    return str(row[0]) if until > datetime.now(UTC) else None
