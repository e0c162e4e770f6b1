"""Side effects a turn commits on its own (a stored submission), keyed by the turn's inbox row.

If the process dies after such an effect was committed but before the turn's own
transaction, the update is processed again; :func:`earlier` finds the effect instead of
doing it twice, and the handler answers as the first time.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.storage.models import TurnEffect


def earlier(s: Session, turn: str, kind: str) -> int | None:
    row = s.exec(select(TurnEffect).where(TurnEffect.turn == turn, TurnEffect.kind == kind)).first()
    return row.ref_id if row is not None else None


def record(s: Session, turn: str, kind: str, ref_id: int) -> None:
    """In the effect's own transaction (the unique (turn, kind) settles a race)."""
    s.add(TurnEffect(turn=turn[:300], kind=kind, ref_id=ref_id))
