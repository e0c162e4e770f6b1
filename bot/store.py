"""Repositories: every read and write the bot does against the database, in one place.

All methods are synchronous (SQLModel sessions); async code calls them through
``asyncio.to_thread``.  Each method is one short transaction, and objects come back
detached (``expire_on_commit=False``) so callers can read them after the session closed.

Times are stored as aware UTC.  SQLite hands naive datetimes back, so everything read
goes through :func:`as_utc`.
"""

from __future__ import annotations

import copy
import logging
import random
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from bot.storage.db import session_scope
from bot.storage.models import (
    AuditLog,
    DialogState,
    Invite,
    Membership,
    ProcessedUpdate,
    QuestionLog,
    Setting,
    StoredFile,
    Submission,
    Unit,
    User,
)

log = logging.getLogger(__name__)

# Membership statuses that "hold" a user: at most one such row per user.
HOLDING = ("pending", "approved")
SETTINGS_TTL = 2.0  # seconds
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def as_utc(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for aware columns: they were written as UTC."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class StoreError(Exception):
    """A request the data does not allow (unknown unit, used invite...); message in Vietnamese."""


class Store:
    """The bot's repositories over one engine."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))
        self._settings_cache: dict[str, tuple[float, Any]] = {}

    def utcnow(self) -> datetime:
        return self._clock().astimezone(UTC)

    def session(self) -> Any:
        return session_scope(self.engine)

    # ------------------------------------------------------------------ users
    def touch_user(self, channel: str, external_id: str, chat_id: str, display_name: str = "") -> User:
        """Get or create the user ``channel:external_id``, refresh chat id, name and last-seen."""
        return self.begin_message(channel, external_id, chat_id, display_name)[0]

    def begin_message(
        self, channel: str, external_id: str, chat_id: str, display_name: str = ""
    ) -> tuple[User, DialogState | None]:
        """One round trip per incoming message: the sender's user row (created or refreshed) and their
        dialog state.  ``last_seen_at`` is only rewritten when it is older than a minute or something
        else changed, so a busy conversation does not write on every message."""
        key = f"{channel}:{external_id}"
        now = self.utcnow()
        for _attempt in range(3):
            try:
                with self.session() as s:
                    user = s.exec(select(User).where(User.key == key)).first()
                    state = s.get(DialogState, key)
                    if user is not None and _fresh(user, chat_id, display_name, now):
                        return user, state
                    if user is None:
                        user = User(
                            key=key,
                            channel=channel,
                            external_id=external_id,
                            chat_id=chat_id or external_id,
                            display_name=(display_name or "")[:200],
                            created_at=now,
                            last_seen_at=now,
                        )
                        s.add(user)
                    else:
                        if chat_id:
                            user.chat_id = chat_id
                        if display_name:
                            user.display_name = display_name[:200]
                        user.last_seen_at = now
                        user.active = True  # they wrote to us: they no longer block the bot
                        s.add(user)
                    s.flush()
                    return user, state
            except IntegrityError:  # another process created the same user at the same moment
                continue
        raise StoreError("Không tạo được người dùng.")

    def get_user(self, key: str) -> User | None:
        with self.session() as s:
            return s.exec(select(User).where(User.key == key)).first()

    def get_user_by_id(self, user_id: int) -> User | None:
        with self.session() as s:
            return s.get(User, user_id)

    def set_profile(self, user_id: int, full_name: str, position: str, phone: str = "") -> None:
        """Who the user is (asked at registration): shown to the approving admin and in exports."""
        with self.session() as s:
            s.execute(
                update(User)
                .where(col(User.id) == user_id)
                .values(full_name=full_name[:200], position=position[:200], phone=phone[:40])
            )

    def mark_inactive(self, user_key: str) -> bool:
        """The user blocked the bot (403): stop sending to them. True if a row changed."""
        with self.session() as s:
            result = s.execute(update(User).where(col(User.key) == user_key).values(active=False))
            return bool(result.rowcount)

    def users_by_keys(self, keys: Iterable[str]) -> list[User]:
        keys = list(keys)
        if not keys:
            return []
        with self.session() as s:
            return list(s.exec(select(User).where(col(User.key).in_(keys))).all())

    # ------------------------------------------------------------------ units
    def seed_units(self, units: Iterable[Any]) -> int:
        """Insert the pack's units that are not in the table yet (by name). Idempotent.

        Existing rows are left alone: an admin may have retired or edited them.  Two processes starting
        together on an empty database may both insert the same name: the loser's commit fails on the
        unique name, and it tries again (then every name is there and nothing is added).
        """
        wanted = list(units)
        for attempt in range(3):
            try:
                return self._seed_units_once(wanted)
            except IntegrityError:
                if attempt == 2:
                    raise
        return 0

    def _seed_units_once(self, units: list[Any]) -> int:
        added = 0
        with self.session() as s:
            existing = set(s.exec(select(Unit.name)).all())
            for u in units:
                name = str(u.name).strip()
                if not name or name in existing:
                    continue
                s.add(
                    Unit(
                        name=name,
                        category=str(getattr(u, "category", "") or "other"),
                        aliases=list(getattr(u, "aliases", None) or []),
                        standing_office=bool(getattr(u, "standing_office", False)),
                        created_at=self.utcnow(),
                    )
                )
                existing.add(name)
                added += 1
        return added

    def list_units(self, active_only: bool = True) -> list[Unit]:
        with self.session() as s:
            q = select(Unit).order_by(col(Unit.id))
            if active_only:
                q = q.where(Unit.active == True)  # noqa: E712
            return list(s.exec(q).all())

    def get_unit(self, unit_id: int) -> Unit | None:
        with self.session() as s:
            return s.get(Unit, unit_id)

    def unit_by_name(self, name: str) -> Unit | None:
        with self.session() as s:
            return s.exec(select(Unit).where(Unit.name == name.strip())).first()

    def add_unit(self, name: str, category: str, actor: str, aliases: list[str] | None = None) -> Unit:
        name = " ".join(name.split())
        if not name or len(name) > 200:
            raise StoreError("Tên đơn vị phải có từ 1 đến 200 ký tự.")
        if not any(ch.isalnum() for ch in name):
            raise StoreError("Tên đơn vị cần có chữ hoặc số (không chỉ biểu tượng, dấu câu).")
        with self.session() as s:
            unit = s.exec(select(Unit).where(Unit.name == name)).first()
            if unit is not None:
                if unit.active:
                    raise StoreError(f"Đơn vị “{name}” đã có.")
                unit.active = True  # re-adding a retired unit reactivates it
                unit.category = category or unit.category
            else:
                unit = Unit(
                    name=name, category=category, aliases=list(aliases or []), created_at=self.utcnow()
                )
            s.add(unit)
            s.flush()
            self._audit(s, actor, "unit.add", {"unit_id": unit.id, "name": name, "category": unit.category})
            return unit

    def retire_unit(self, unit_id: int, actor: str) -> Unit:
        with self.session() as s:
            unit = s.get(Unit, unit_id)
            if unit is None:
                raise StoreError("Không tìm thấy đơn vị.")
            unit.active = False
            s.add(unit)
            self._audit(s, actor, "unit.retire", {"unit_id": unit.id, "name": unit.name})
            return unit

    # ------------------------------------------------------------ memberships
    def current_membership(self, user_id: int) -> Membership | None:
        """The user's pending or approved membership, if any."""
        with self.session() as s:
            return s.exec(
                select(Membership)
                .where(Membership.user_id == user_id, col(Membership.status).in_(HOLDING))
                .order_by(col(Membership.id).desc())
            ).first()

    def approved_unit(self, user_id: int) -> Unit | None:
        """The active unit the user is an approved member of."""
        with self.session() as s:
            row = s.exec(
                select(Unit)
                .join(Membership, col(Membership.unit_id) == col(Unit.id))
                .where(Membership.user_id == user_id, Membership.status == "approved", Unit.active == True)  # noqa: E712
            ).first()
            return row

    def request_membership(
        self, user_id: int, unit_id: int, *, via_invite: str | None = None, approved_by: str | None = None
    ) -> Membership:
        """Ask to act for ``unit_id``; ends whatever the user held before (one unit at a time).

        With ``approved_by`` (an invite redeemed, or an admin) the membership is approved at once.
        """
        now = self.utcnow()
        with self.session() as s:
            unit = s.get(Unit, unit_id)
            if unit is None or not unit.active:
                raise StoreError("Đơn vị này không có hoặc đã ngừng.")
            self._end_holding(s, user_id, now)
            m = Membership(user_id=user_id, unit_id=unit_id, via_invite=via_invite, requested_at=now)
            if approved_by:
                m.status, m.decided_at, m.decided_by = "approved", now, approved_by
            s.add(m)
            s.flush()
            return m

    def _end_holding(self, s: Session, user_id: int, now: datetime) -> None:
        s.execute(
            update(Membership)
            .where(col(Membership.user_id) == user_id, col(Membership.status).in_(HOLDING))
            .values(status="ended", decided_at=now)
        )

    def decide_membership(self, membership_id: int, approve: bool, actor: str) -> Membership:
        """Approve or reject a pending request. Raises StoreError if it is no longer pending."""
        now = self.utcnow()
        with self.session() as s:
            result = s.execute(
                update(Membership)
                .where(col(Membership.id) == membership_id, col(Membership.status) == "pending")
                .values(status="approved" if approve else "rejected", decided_at=now, decided_by=actor)
            )
            if not result.rowcount:
                raise StoreError("Yêu cầu này không còn chờ duyệt (đã được xử lý hoặc không tồn tại).")
            m = s.get(Membership, membership_id)
            assert m is not None
            s.refresh(m)
            self._audit(
                s,
                actor,
                "membership.approve" if approve else "membership.reject",
                {"membership_id": m.id, "user_id": m.user_id, "unit_id": m.unit_id},
            )
            return m

    def pending_requests(self) -> list[tuple[Membership, User, Unit]]:
        with self.session() as s:
            rows = s.exec(
                select(Membership, User, Unit)
                .join(User, col(User.id) == col(Membership.user_id))
                .join(Unit, col(Unit.id) == col(Membership.unit_id))
                .where(Membership.status == "pending")
                .order_by(col(Membership.id))
            ).all()
            return [tuple(r) for r in rows]  # type: ignore[misc]

    def members(self, unit_id: int | None = None, active_only: bool = True) -> list[tuple[User, Unit]]:
        """Approved members (with their unit), of one unit or of every active unit."""
        with self.session() as s:
            q = (
                select(User, Unit)
                .join(Membership, col(Membership.user_id) == col(User.id))
                .join(Unit, col(Unit.id) == col(Membership.unit_id))
                .where(Membership.status == "approved", Unit.active == True)  # noqa: E712
                .order_by(col(User.id))
            )
            if unit_id is not None:
                q = q.where(Unit.id == unit_id)
            if active_only:
                q = q.where(User.active == True)  # noqa: E712
            return [tuple(r) for r in s.exec(q).all()]  # type: ignore[misc]

    # ---------------------------------------------------------------- invites
    def create_invite(self, unit_id: int, actor: str, ttl: timedelta = timedelta(days=7)) -> Invite:
        now = self.utcnow()
        for _attempt in range(5):
            code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(8))
            try:
                with self.session() as s:
                    unit = s.get(Unit, unit_id)
                    if unit is None or not unit.active:
                        raise StoreError("Đơn vị này không có hoặc đã ngừng.")
                    inv = Invite(
                        code=code, unit_id=unit_id, created_by=actor, created_at=now, expires_at=now + ttl
                    )
                    s.add(inv)
                    s.flush()
                    self._audit(s, actor, "invite.create", {"unit_id": unit_id, "invite_id": inv.id})
                    return inv
            except IntegrityError:
                continue
        raise StoreError("Không tạo được mã mời, hãy thử lại.")

    def find_invite(self, code: str) -> Invite | None:
        code = normalize_invite_code(code)
        if not code:
            return None
        with self.session() as s:
            return s.exec(select(Invite).where(Invite.code == code)).first()

    def redeem_invite(self, code: str, user_id: int) -> Membership:
        """Use a single-use code: approved membership of its unit. Atomic against double use."""
        code = normalize_invite_code(code)
        now = self.utcnow()
        with self.session() as s:
            inv = s.exec(select(Invite).where(Invite.code == code)).first()
            if inv is None:
                raise StoreError("Mã mời không đúng.")
            if inv.used_by_user_id is not None:
                raise StoreError("Mã mời này đã được dùng.")
            if as_utc(inv.expires_at) <= now:  # type: ignore[operator]
                raise StoreError("Mã mời đã hết hạn. Hãy xin quản trị viên mã mới.")
            result = s.execute(
                update(Invite)
                .where(col(Invite.id) == inv.id, col(Invite.used_by_user_id).is_(None))
                .values(used_by_user_id=user_id, used_at=now)
            )
            if not result.rowcount:
                raise StoreError("Mã mời này đã được dùng.")
            unit = s.get(Unit, inv.unit_id)
            if unit is None or not unit.active:
                raise StoreError("Đơn vị của mã mời đã ngừng.")
            self._end_holding(s, user_id, now)
            m = Membership(
                user_id=user_id,
                unit_id=inv.unit_id,
                status="approved",
                via_invite=code,
                requested_at=now,
                decided_at=now,
                decided_by=f"invite:{inv.created_by}",
            )
            s.add(m)
            s.flush()
            self._audit(s, f"user:{user_id}", "invite.redeem", {"invite_id": inv.id, "unit_id": inv.unit_id})
            return m

    # ----------------------------------------------------------- dialog state
    def get_state(self, user_key: str) -> DialogState | None:
        with self.session() as s:
            return s.get(DialogState, user_key)

    def save_state(self, user_key: str, flow: str, step: str, data: dict[str, Any]) -> None:
        """Upsert the user's dialog state (committed at once: a restart resumes from here)."""
        for _attempt in range(3):
            try:
                with self.session() as s:
                    row = s.get(DialogState, user_key)
                    if row is None:
                        row = DialogState(user_key=user_key, flow=flow, step=step, data=data)
                    else:
                        row.flow, row.step, row.data = flow, step, dict(data)
                    row.updated_at = self.utcnow()
                    s.add(row)
                return
            except IntegrityError:
                continue

    def clear_state(self, user_key: str) -> None:
        with self.session() as s:
            s.execute(delete(DialogState).where(col(DialogState.user_key) == user_key))

    # ------------------------------------------------------------ submissions
    def submit(
        self,
        *,
        unit_id: int,
        year: int,
        answers: dict[str, Any],
        user_id: int,
        actor: str,
        file_id: int | None = None,
        end_flow_of: str | None = None,
        attempts: int = 20,
    ) -> Submission:
        """Store a new version of the unit's report for ``year`` in one transaction.

        ``version`` is max+1; two concurrent submissions may compute the same number,
        the unique constraint rejects one and it retries.  The audit entry and (with
        ``end_flow_of``) the end of the user's form are in the same transaction, so a
        crash leaves either everything or nothing.
        """
        from bot.durable import current_turn_key, effects

        turn = current_turn_key()  # inside a durable turn: idempotent if the update is processed again
        if turn is not None:
            end_flow_of = None  # the turn's own transaction ends the flow, with the reply
            with self.session() as s:
                done = effects.earlier(s, turn, "submission")
                if done is not None and (sub := s.get(Submission, done)) is not None:
                    return sub
        last_exc: Exception | None = None
        for attempt in range(attempts):
            try:
                with self.session() as s:
                    unit = s.get(Unit, unit_id)
                    if unit is None or not unit.active:
                        raise StoreError("Đơn vị này không có hoặc đã ngừng.")
                    current = s.exec(
                        select(func.max(Submission.version)).where(
                            Submission.unit_id == unit_id, Submission.year == year
                        )
                    ).one()
                    sub = Submission(
                        unit_id=unit_id,
                        year=year,
                        version=int(current or 0) + 1,
                        answers=answers,
                        file_id=file_id,
                        submitted_by_user_id=user_id,
                        submitted_at=self.utcnow(),
                    )
                    s.add(sub)
                    s.flush()
                    self._audit(
                        s,
                        actor,
                        "submission.create",
                        {"submission_id": sub.id, "unit_id": unit_id, "year": year, "version": sub.version},
                    )
                    if turn is not None and sub.id is not None:
                        effects.record(s, turn, "submission", sub.id)
                    if end_flow_of:
                        row = s.get(DialogState, end_flow_of)
                        if row is not None:
                            meta = (row.data or {}).get("_meta")
                            row.flow, row.step = "", ""
                            row.data = {"_meta": meta} if meta else {}
                            s.add(row)
                    return sub
            except (IntegrityError, OperationalError) as exc:
                if isinstance(exc, OperationalError) and "locked" not in str(exc).lower():
                    raise
                last_exc = exc
                time.sleep(random.uniform(0.001, 0.01) * (attempt + 1))
        raise StoreError("Không lưu được báo cáo do quá nhiều người nộp cùng lúc, hãy thử lại.") from last_exc

    def latest_submission(self, unit_id: int, year: int) -> Submission | None:
        with self.session() as s:
            return s.exec(
                select(Submission)
                .where(Submission.unit_id == unit_id, Submission.year == year)
                .order_by(col(Submission.version).desc())
            ).first()

    def latest_submissions(self, year: int) -> dict[int, Submission]:
        """unit_id -> the latest version submitted for ``year``."""
        with self.session() as s:
            latest = (
                select(Submission.unit_id, func.max(Submission.version).label("v"))
                .where(Submission.year == year)
                .group_by(col(Submission.unit_id))
                .subquery()
            )
            rows = s.exec(
                select(Submission)
                .join(
                    latest,
                    (col(Submission.unit_id) == latest.c.unit_id) & (col(Submission.version) == latest.c.v),
                )
                .where(Submission.year == year)
            ).all()
            return {r.unit_id: r for r in rows}

    def submissions(self, unit_id: int | None = None, year: int | None = None) -> list[Submission]:
        with self.session() as s:
            q = select(Submission).order_by(col(Submission.id))
            if unit_id is not None:
                q = q.where(Submission.unit_id == unit_id)
            if year is not None:
                q = q.where(Submission.year == year)
            return list(s.exec(q).all())

    # ------------------------------------------------------------------ files
    def add_file(
        self, *, sha256: str, filename: str, mime_type: str, size: int, path: str, uploaded_by: str
    ) -> StoredFile:
        with self.session() as s:
            f = StoredFile(
                sha256=sha256,
                filename=filename[:255],
                mime_type=(mime_type or "application/octet-stream")[:120],
                size=size,
                path=path[:500],
                uploaded_by=uploaded_by[:200],
                created_at=self.utcnow(),
            )
            s.add(f)
            s.flush()
            return f

    def get_file(self, file_id: int) -> StoredFile | None:
        with self.session() as s:
            return s.get(StoredFile, file_id)

    # --------------------------------------------------------------- settings
    def get_setting(self, key: str, default: Any = None) -> Any:
        """A setting's value; cached for ``SETTINGS_TTL`` seconds (another process's change shows up
        within that time; this process's own changes at once)."""
        hit = self._settings_cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < SETTINGS_TTL:
            value = hit[1]
        else:
            with self.session() as s:
                row = s.get(Setting, key)
                value = None if row is None else row.value
            self._settings_cache[key] = (time.monotonic(), value)
        return default if value is None else copy.deepcopy(value)

    def set_setting(self, key: str, value: Any, actor: str) -> None:
        self._settings_cache.pop(key, None)
        with self.session() as s:
            row = s.get(Setting, key)
            if row is None:
                row = Setting(key=key)
            row.value, row.updated_by, row.updated_at = value, actor[:200], self.utcnow()
            s.add(row)
            self._audit(s, actor, "setting.set", {"key": key, "value": value})
        self._settings_cache.pop(key, None)

    # ------------------------------------------------------------------ audit
    def _audit(self, s: Session, actor: str, action: str, detail: dict[str, Any]) -> None:
        s.add(AuditLog(at=self.utcnow(), actor=actor[:200], action=action[:60], detail=detail))

    def audit(self, actor: str, action: str, detail: dict[str, Any] | None = None) -> None:
        with self.session() as s:
            self._audit(s, actor, action, detail or {})

    def audit_entries(self, action: str | None = None) -> list[AuditLog]:
        with self.session() as s:
            q = select(AuditLog).order_by(col(AuditLog.id))
            if action:
                q = q.where(AuditLog.action == action)
            return list(s.exec(q).all())

    # ---------------------------------------------------------- question log
    def log_question(
        self,
        *,
        user_key: str,
        unit_name: str | None,
        question: str,
        answer: str,
        confidence: float,
        answered: bool,
    ) -> None:
        with self.session() as s:
            s.add(
                QuestionLog(
                    at=self.utcnow(),
                    user_key=user_key[:200],
                    unit_name=(unit_name or None) and unit_name[:200],
                    question=question,
                    answer=answer,
                    confidence=float(confidence),
                    answered=bool(answered),
                )
            )

    def questions(self, declined_only: bool = False, limit: int | None = None) -> list[QuestionLog]:
        with self.session() as s:
            q = select(QuestionLog).order_by(col(QuestionLog.id).desc())
            if declined_only:
                q = q.where(QuestionLog.answered == False)  # noqa: E712
            if limit:
                q = q.limit(limit)
            return list(s.exec(q).all())

    # -------------------------------------------------------- update de-dup
    def claim_update(self, channel: str, update_id: str | int) -> bool:
        """Record a transport update id; False when it was already processed (a replay)."""
        try:
            with self.session() as s:
                s.add(
                    ProcessedUpdate(
                        channel=channel[:20], update_id=str(update_id)[:120], received_at=self.utcnow()
                    )
                )
            return True
        except IntegrityError:
            return False

    def prune_updates(self, older_than: timedelta = timedelta(days=7)) -> int:
        cutoff = self.utcnow() - older_than
        with self.session() as s:
            result = s.execute(delete(ProcessedUpdate).where(col(ProcessedUpdate.received_at) < cutoff))
            return int(result.rowcount or 0)


def _fresh(user: User, chat_id: str, display_name: str, now: datetime) -> bool:
    """Nothing to write for this user: same chat and name, active, seen less than a minute ago."""
    seen = as_utc(user.last_seen_at)
    return (
        user.active
        and (not chat_id or user.chat_id == chat_id)
        and (not display_name or user.display_name == display_name[:200])
        and seen is not None
        and timedelta(0) <= now - seen < timedelta(minutes=1)
    )


def normalize_invite_code(text: str) -> str:
    """Codes are shown as ``ABCD-EFGH``; accept any case, spaces or dashes."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return cleaned if len(cleaned) == 8 and all(c in INVITE_ALPHABET for c in cleaned) else ""


def format_invite_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code
