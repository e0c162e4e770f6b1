"""Database models.

Every table the bot writes is here, so one Alembic migration history covers them all.
Times are stored as timezone-aware UTC; the user sees Asia/Ho_Chi_Minh.
JSON columns hold small documents (form answers, audit details) whose shape is
defined by the knowledge pack, not by the schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default_factory=utcnow if not nullable else None,
        sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index),
    )


class Unit(SQLModel, table=True):
    """An addressed unit (seeded from the knowledge pack's registry; admins add or retire)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    category: str = Field(index=True, max_length=40)  # district|department|socio_political|armed_forces|media
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    standing_office: bool = False
    active: bool = True
    created_at: datetime = _ts()


class User(SQLModel, table=True):
    """A person who wrote to the bot on one channel. ``key`` is ``channel:external_id``."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=200)
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=120)
    chat_id: str = Field(max_length=120)
    display_name: str = Field(default="", max_length=200)
    # Who they are, asked at registration (shown to the approving admin and in exports):
    full_name: str = Field(default="", max_length=200)
    position: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    active: bool = True  # False once the user blocked the bot (403): nothing more is sent
    created_at: datetime = _ts()
    last_seen_at: datetime = _ts()


class Membership(SQLModel, table=True):
    """A user's request to act for a unit. At most one pending or approved row per user."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    status: str = Field(default="pending", index=True, max_length=20)  # pending|approved|rejected|ended
    via_invite: str | None = Field(default=None, max_length=40)
    requested_at: datetime = _ts()
    decided_at: datetime | None = _ts(nullable=True)
    decided_by: str | None = Field(default=None, max_length=200)


class Invite(SQLModel, table=True):
    """A single-use invite code an admin created for a unit (``/moi``)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=40)
    unit_id: int = Field(foreign_key="unit.id")
    created_by: str = Field(max_length=200)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    used_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    used_at: datetime | None = _ts(nullable=True)


class DialogState(SQLModel, table=True):
    """Where a user is in a multi-step flow; lives in the database so a restart resumes it."""

    user_key: str = Field(primary_key=True, max_length=200)
    flow: str = Field(max_length=40)
    step: str = Field(default="", max_length=60)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _ts()


class StoredFile(SQLModel, table=True):
    """An attachment received from a user, kept on disk under FILES_DIR with its checksum."""

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(index=True, max_length=64)
    filename: str = Field(max_length=255)
    mime_type: str = Field(default="application/octet-stream", max_length=120)
    size: int = 0
    path: str = Field(max_length=500)
    uploaded_by: str = Field(default="", max_length=200)
    created_at: datetime = _ts()


class Submission(SQLModel, table=True):
    """One version of a unit's annual report. New versions never overwrite old ones."""

    __table_args__ = (
        UniqueConstraint("unit_id", "year", "version", name="uq_submission_version"),
        # the overview's "latest version of each unit for a year" is answered from this index alone
        Index("ix_submission_year_unit_version", "year", "unit_id", "version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int = Field(index=True)
    version: int = 1
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    file_id: int | None = Field(default=None, foreign_key="storedfile.id")
    submitted_by_user_id: int = Field(foreign_key="user.id")
    submitted_at: datetime = _ts(index=True)


class Setting(SQLModel, table=True):
    """Admin-changeable settings (due dates, opened years...), read without a restart."""

    key: str = Field(primary_key=True, max_length=120)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = _ts()
    updated_by: str = Field(default="", max_length=200)


class AuditLog(SQLModel, table=True):
    """Admin actions and submissions, append-only."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor: str = Field(max_length=200)
    action: str = Field(index=True, max_length=60)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class QuestionLog(SQLModel, table=True):
    """Every question asked, the answer and whether the bot declined (for the standing office)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    user_key: str = Field(default="", max_length=200)
    unit_name: str | None = Field(default=None, max_length=200)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    confidence: float = 0.0
    answered: bool = Field(default=True, index=True)


class ProcessedUpdate(SQLModel, table=True):
    """Transport update ids already handled (Telegram update_id, Zalo message_id): each runs once."""

    __table_args__ = (UniqueConstraint("channel", "update_id", name="uq_processed_update"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    update_id: str = Field(max_length=120)
    received_at: datetime = _ts(index=True)


class Delivery(SQLModel, table=True):
    """The reminder ledger: one row per (obligation, year, recipient, reminder kind).

    The unique ``key`` is claimed before sending, so no crash, restart or second
    instance sends the same reminder twice.
    """

    __table_args__ = (
        Index("ix_delivery_year_obligation", "year", "obligation"),  # reminders plan: a year's history
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=300)
    obligation: str = Field(max_length=80)
    year: int
    recipient: str = Field(max_length=200)  # user key, or "digest:<user key>"
    kind: str = Field(max_length=40)  # e.g. "before-14", "due", "overdue-1", "digest-..."
    status: str = Field(default="claimed", index=True, max_length=20)  # claimed|sent|blocked|failed
    owner: str = Field(default="", max_length=120)
    claimed_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    error: str = Field(default="", max_length=500)


# --------------------------------------------------------------------------- durable (issue 14)
class InboxUpdate(SQLModel, table=True):
    """Every incoming update, written before it is acknowledged (bot/durable/inbox.py).

    ``status``: ``new`` → ``taken`` (by ``owner`` until ``lease_until``, renewed while alive)
    → ``done`` (in the transaction that saved the dialog state and the replies).
    The unique (channel, update_key) makes a re-delivered update a no-op.
    """

    __table_args__ = (
        UniqueConstraint("channel", "update_key", name="uq_inbox_update"),
        Index("ix_inbox_pending", "status", "id"),
        Index("ix_inbox_user", "user_key", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    update_key: str = Field(max_length=256)  # the platform's whole update id (longer ones are refused)
    user_key: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="new", max_length=10)
    owner: str = Field(default="", max_length=120)
    lease_until: datetime | None = _ts(nullable=True)
    attempts: int = 0
    received_at: datetime = _ts(index=True)
    done_at: datetime | None = _ts(nullable=True)


class OutboxMessage(SQLModel, table=True):
    """One message to send (a reply, a notification, a broadcast), written in the deciding transaction.

    ``pending`` → ``sending`` (taken by ``owner`` until ``lease_until``) → ``sent`` | ``blocked`` |
    ``failed``.  Sent in ``id`` order per chat.
    """

    __table_args__ = (
        Index("ix_outbox_pending", "status", "id"),
        Index("ix_outbox_chat", "channel", "chat_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    chat_id: str = Field(max_length=120)
    user_key: str = Field(default="", max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    inbox_id: int | None = Field(default=None, index=True)
    status: str = Field(default="pending", max_length=10)
    owner: str = Field(default="", max_length=120)
    lease_until: datetime | None = _ts(nullable=True)
    attempts: int = 0
    error: str = Field(default="", max_length=500)
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)


class Lease(SQLModel, table=True):
    """A named lease held by one live instance (Telegram polling): taken over when it expires."""

    name: str = Field(primary_key=True, max_length=80)
    owner: str = Field(default="", max_length=120)
    until: datetime = _ts()


class TurnEffect(SQLModel, table=True):
    """A side effect a turn committed on its own (a submission), keyed by its inbox row, so that
    re-processing the same update after a crash finds it instead of doing it twice."""

    __table_args__ = (UniqueConstraint("turn", "kind", name="uq_turn_effect"),)

    id: int | None = Field(default=None, primary_key=True)
    turn: str = Field(max_length=300)
    kind: str = Field(max_length=40)
    ref_id: int = 0
    created_at: datetime = _ts()


class WebLoginToken(SQLModel, table=True):
    """A single-use login link of the standing office's web pages (``directive-bot web link``, ``/web``).

    Only the SHA-256 of the token is stored: a copy of the database opens no session.
    """

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_key: str = Field(max_length=200)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, this row its SHA-256 (revocable)."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_key: str = Field(index=True, max_length=200)
    csrf: str = Field(max_length=64)
    created_at: datetime = _ts()
    last_seen_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)


class QuestionReview(SQLModel, table=True):
    """A logged question the standing office has reviewed (hidden from the unanswered list)."""

    question_id: int = Field(primary_key=True, foreign_key="questionlog.id")
    reviewed_by: str = Field(max_length=200)
    reviewed_at: datetime = _ts()
