"""Storage for the standing office's work pages: registrations and members, unanswered questions.

New storage code lives here rather than in :mod:`bot.store` (see TEAM.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, select, update

from bot.storage.models import AuditLog, Membership, QuestionLog, QuestionReview, Unit, User

_MEMBER = Membership.__table__  # type: ignore[attr-defined]
_USER = User.__table__  # type: ignore[attr-defined]
_UNIT = Unit.__table__  # type: ignore[attr-defined]
_Q = QuestionLog.__table__  # type: ignore[attr-defined]
_REVIEW = QuestionReview.__table__  # type: ignore[attr-defined]
_AUDIT = AuditLog.__table__  # type: ignore[attr-defined]

LOW_CONFIDENCE = 0.5  # an answer below this is listed with the declined ones
QUESTION_WINDOW = 2000  # the most recent questions grouped on the page
SIMILAR = 75  # rapidfuzz token_set_ratio at or above which two questions are one group


def pending(app: Any) -> list[Any]:
    stmt = (
        select(_MEMBER.c.id, _MEMBER.c.requested_at, _USER.c.key, _USER.c.display_name, _UNIT.c.name)
        .join(_USER, _USER.c.id == _MEMBER.c.user_id)
        .join(_UNIT, _UNIT.c.id == _MEMBER.c.unit_id)
        .where(_MEMBER.c.status == "pending")
        .order_by(_MEMBER.c.id)
    )
    with app.engine.connect() as conn:
        return list(conn.execute(stmt))


def members(app: Any) -> list[Any]:
    """Approved members of every active unit, by unit."""
    stmt = (
        select(
            _UNIT.c.id.label("unit_id"), _UNIT.c.name, _USER.c.key, _USER.c.display_name, _MEMBER.c.decided_at
        )
        .join(_MEMBER, _MEMBER.c.unit_id == _UNIT.c.id)
        .join(_USER, _USER.c.id == _MEMBER.c.user_id)
        .where(_MEMBER.c.status == "approved", _UNIT.c.active == True)  # noqa: E712
        .order_by(_UNIT.c.name, _USER.c.id)
    )
    with app.engine.connect() as conn:
        return list(conn.execute(stmt))


def retire_member(app: Any, user_key: str, unit_id: int, actor: str) -> str | None:
    """End an approved membership (audit-logged in the same transaction); the unit's name, or None."""
    now = datetime.now(UTC)
    with app.engine.begin() as conn:
        row = conn.execute(
            select(_USER.c.id, _UNIT.c.name)
            .join(_MEMBER, _MEMBER.c.user_id == _USER.c.id)
            .join(_UNIT, _UNIT.c.id == _MEMBER.c.unit_id)
            .where(_USER.c.key == user_key, _MEMBER.c.unit_id == unit_id, _MEMBER.c.status == "approved")
        ).first()
        if row is None:
            return None
        conn.execute(
            update(_MEMBER)
            .where(
                and_(
                    _MEMBER.c.user_id == row.id, _MEMBER.c.unit_id == unit_id, _MEMBER.c.status == "approved"
                )
            )
            .values(status="ended", decided_at=now, decided_by=actor)
        )
        conn.execute(
            _AUDIT.insert().values(
                at=now,
                actor=actor,
                action="membership.retire",
                detail={"via": "web", "user": user_key, "unit_id": unit_id},
            )
        )
        return str(row.name)


# ------------------------------------------------------------ questions
@dataclass(slots=True)
class QuestionGroup:
    text: str  # the most recent wording
    ids: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    declined: int = 0
    last_at: datetime | None = None
    units: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        return len(self.ids)


def unanswered(app: Any) -> list[Any]:
    """Declined or low-confidence questions not reviewed yet, newest first."""
    reviewed = select(_REVIEW.c.question_id)
    stmt = (
        select(_Q.c.id, _Q.c.at, _Q.c.question, _Q.c.answered, _Q.c.confidence, _Q.c.unit_name)
        .where((_Q.c.answered == False) | (_Q.c.confidence < LOW_CONFIDENCE))  # noqa: E712
        .where(_Q.c.id.not_in(reviewed))
        .order_by(_Q.c.id.desc())
        .limit(QUESTION_WINDOW)
    )
    with app.engine.connect() as conn:
        return list(conn.execute(stmt))


def group_questions(rows: list[Any]) -> list[QuestionGroup]:
    """Greedy grouping by similarity of the folded wording (rapidfuzz), biggest groups first."""
    from rapidfuzz import fuzz

    from knowledge.normalize import fold

    groups: list[tuple[str, QuestionGroup]] = []
    for r in rows:
        folded = fold(r.question)
        target = next((g for key, g in groups if fuzz.token_set_ratio(folded, key) >= SIMILAR), None)
        if target is None:
            target = QuestionGroup(r.question, last_at=r.at)
            groups.append((folded, target))
        target.ids.append(int(r.id))
        if len(target.samples) < 5 and r.question not in target.samples:
            target.samples.append(r.question)
        target.declined += int(not r.answered)
        if r.unit_name:
            target.units.add(r.unit_name)
    return sorted((g for _, g in groups), key=lambda g: (-g.count, -(g.ids[0])))


def mark_reviewed(app: Any, ids: list[int], actor: str) -> int:
    if not ids:
        return 0
    now = datetime.now(UTC)
    with app.engine.begin() as conn:
        known = set(conn.execute(select(_Q.c.id).where(_Q.c.id.in_(ids))).scalars())
        done = set(
            conn.execute(select(_REVIEW.c.question_id).where(_REVIEW.c.question_id.in_(ids))).scalars()
        )
        new = sorted(known - done)
        if new:
            conn.execute(
                _REVIEW.insert(), [{"question_id": i, "reviewed_by": actor, "reviewed_at": now} for i in new]
            )
            conn.execute(
                _AUDIT.insert().values(
                    at=now,
                    actor=actor,
                    action="question.review",
                    detail={"via": "web", "ids": new[:200], "count": len(new)},
                )
            )
        return len(new)
