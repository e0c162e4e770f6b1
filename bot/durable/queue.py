"""The outbox table: messages written in the deciding transaction, sent by the pump, marked after.

Taking follows the inbox's rule per chat: only a chat's oldest unsent row can be
taken, so the parts of a reply and the replies of one turn arrive in order.
A row is ``sending`` while an instance delivers it (leased); a dead instance's
``sending`` rows are taken again after the lease, which is the one case where a
message may be sent twice (the platform had accepted it, the mark was not written).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine

from bot.durable.codec import dump_reply, load_reply
from bot.messages import Outgoing
from bot.storage.models import OutboxMessage

T = OutboxMessage.__table__  # type: ignore[attr-defined]
FINAL = ("sent", "blocked", "failed")
RETRY_DELAYS = (1.0, 5.0, 30.0, 120.0, 600.0)  # a retryable failure is tried again this much later


@dataclass(frozen=True, slots=True)
class TakenMessage:
    id: int
    inbox_id: int | None
    attempts: int
    outgoing: Outgoing


def _now() -> datetime:
    return datetime.now(UTC)


def rows_for(outs: Sequence[Outgoing], inbox_id: int | None) -> list[dict[str, Any]]:
    now = _now()
    return [
        {
            "channel": o.channel,
            "chat_id": str(o.chat_id)[:120],
            "user_key": (o.user_key or "")[:200],
            "payload": dump_reply(o.reply),
            "inbox_id": inbox_id,
            "status": "pending",
            "owner": "",
            "lease_until": None,
            "attempts": 0,
            "error": "",
            "created_at": now,
            "sent_at": None,
        }
        for o in outs
    ]


def enqueue_on(conn: Connection, outs: Sequence[Outgoing], inbox_id: int | None = None) -> int:
    """Insert the messages inside the caller's transaction."""
    rows = rows_for(outs, inbox_id)
    if rows:
        conn.execute(insert(T), rows)
    return len(rows)


def enqueue(engine: Engine, outs: Sequence[Outgoing]) -> int:
    with engine.begin() as conn:
        return enqueue_on(conn, outs)


def take(engine: Engine, owner: str, channels: Sequence[str], limit: int, lease: float) -> list[TakenMessage]:
    if limit <= 0 or not channels:
        return []
    now = _now()
    j = T.alias("j")
    eligible = (
        select(T.c.id)
        .where(
            T.c.channel.in_(list(channels)),
            or_(
                and_(T.c.status == "pending", or_(T.c.lease_until.is_(None), T.c.lease_until < now)),
                and_(T.c.status == "sending", T.c.lease_until < now),
            ),
            ~exists().where(
                j.c.channel == T.c.channel,
                j.c.chat_id == T.c.chat_id,
                j.c.status.in_(("pending", "sending")),
                j.c.id < T.c.id,
            ),
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
            status="sending",
            owner=owner,
            lease_until=now + timedelta(seconds=lease),
            attempts=T.c.attempts + 1,
        )
        .returning(T.c.id, T.c.inbox_id, T.c.attempts, T.c.channel, T.c.chat_id, T.c.user_key, T.c.payload)
    )
    with engine.begin() as conn:
        rows = conn.execute(stmt).all()
    out = [TakenMessage(r[0], r[1], r[2], Outgoing(r[3], r[4], load_reply(r[6] or {}), r[5])) for r in rows]
    out.sort(key=lambda t: t.id)
    return out


def mark(
    engine: Engine, owner: str, row_id: int, status: str, error: str = "", retry_in: float | None = None
) -> None:
    """Record a result: final (sent, blocked, failed), or back to pending for a later attempt."""
    values: dict[str, Any] = {"error": error[:500]}
    if retry_in is not None:
        values.update(status="pending", owner="", lease_until=_now() + timedelta(seconds=retry_in))
    else:
        values.update(status=status, sent_at=_now() if status == "sent" else None, lease_until=None)
    with engine.begin() as conn:
        conn.execute(update(T).where(T.c.id == row_id, T.c.owner == owner).values(**values))


def renew(engine: Engine, owner: str, lease: float) -> int:
    with engine.begin() as conn:
        return (
            conn.execute(
                update(T)
                .where(T.c.owner == owner, T.c.status == "sending")
                .values(lease_until=_now() + timedelta(seconds=lease))
            ).rowcount
            or 0
        )


def release(engine: Engine, owner: str, ids: Sequence[int]) -> int:
    """Rows taken but never handed to the platform go back to ``pending``."""
    if not ids:
        return 0
    with engine.begin() as conn:
        return (
            conn.execute(
                update(T)
                .where(T.c.owner == owner, T.c.status == "sending", T.c.id.in_(list(ids)))
                .values(status="pending", owner="", lease_until=None)
            ).rowcount
            or 0
        )


def unsent(engine: Engine, channels: Sequence[str] | None = None) -> int:
    from sqlalchemy import func

    q = select(func.count()).select_from(T).where(T.c.status.in_(("pending", "sending")))
    if channels is not None:
        q = q.where(T.c.channel.in_(list(channels)))
    with engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def counts(engine: Engine) -> dict[str, int]:
    from sqlalchemy import func

    with engine.connect() as conn:
        return {s: n for s, n in conn.execute(select(T.c.status, func.count()).group_by(T.c.status))}
