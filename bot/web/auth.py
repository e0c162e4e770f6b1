"""Login links, sessions and who may have them.

- A **login link** carries a random token (``secrets.token_urlsafe(32)``) valid 15 minutes and
  usable once; the database keeps only its SHA-256, and consuming it is one conditional
  ``UPDATE … WHERE used_at IS NULL AND expires_at > now`` so two tabs cannot both use it.
- A **session** is a random cookie value whose SHA-256 is a :class:`WebSession` row; it ends after
  8 hours without a request, on logout, or when revoked. Each row has its CSRF token.
- Only **admins** (``BOT_ADMINS``) and **approved members of the standing office** may have either;
  the rule is checked again on every request, so a retired member loses access at once.

When ``BOT_ADMINS`` is empty, ``console:admin`` counts as the admin of the web pages: only a
person at this machine's terminal can act as a console user (and they hold the database file
anyway), so a fresh install needs no configuration to be looked at.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Engine

from bot.storage.models import Membership, Unit, User, WebLoginToken, WebSession

LINK_TTL = timedelta(minutes=15)
SESSION_IDLE = timedelta(hours=8)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
LOCAL_ADMIN = "console:admin"

_TOKEN = WebLoginToken.__table__  # type: ignore[attr-defined]
_SESSION = WebSession.__table__  # type: ignore[attr-defined]
_USER = User.__table__  # type: ignore[attr-defined]
_MEMBER = Membership.__table__  # type: ignore[attr-defined]
_UNIT = Unit.__table__  # type: ignore[attr-defined]


class NotAllowed(PermissionError):
    """This person may not use the standing office's pages (message in Vietnamese)."""


REFUSED = (
    "Trang web của Thường trực Ban Chỉ đạo chỉ dành cho quản trị viên và thành viên đã được duyệt "
    "của đơn vị thường trực. Bạn chưa có quyền này; liên hệ quản trị viên nếu cần."
)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def admins(settings: Any) -> frozenset[str]:
    """The admins of the web pages (see the module docstring for the console default)."""
    return settings.admins or frozenset({LOCAL_ADMIN})


@dataclass(frozen=True, slots=True)
class Person:
    key: str
    name: str
    admin: bool
    unit: str  # the standing office's name for a member, "" for an admin without a unit


def allowed(engine: Engine, settings: Any, user_key: str) -> Person | None:
    """The person behind ``user_key`` when they may use the pages, else None (one query)."""
    stmt = (
        select(_USER.c.display_name, _UNIT.c.name)
        .select_from(_USER)
        .outerjoin(_MEMBER, and_(_MEMBER.c.user_id == _USER.c.id, _MEMBER.c.status == "approved"))
        .outerjoin(
            _UNIT,
            and_(_UNIT.c.id == _MEMBER.c.unit_id, _UNIT.c.standing_office == True, _UNIT.c.active == True),  # noqa: E712
        )
        .where(_USER.c.key == user_key)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    name = next((r[0] for r in rows if r[0]), "")
    office = next((r[1] for r in rows if r[1]), "")
    is_admin = user_key in admins(settings)
    if not is_admin and not office:
        return None
    return Person(user_key, name or user_key, is_admin, office)


def _now(clock: Any) -> datetime:
    return clock().astimezone(UTC)


def issue_link(engine: Engine, settings: Any, clock: Any, user_key: str) -> str:
    """A new login URL for ``user_key``; raises :class:`NotAllowed` for anyone else."""
    if allowed(engine, settings, user_key) is None:
        raise NotAllowed(REFUSED)
    token = secrets.token_urlsafe(32)
    now = _now(clock)
    with engine.begin() as conn:
        conn.execute(
            _TOKEN.insert().values(
                token_hash=digest(token), user_key=user_key, created_at=now, expires_at=now + LINK_TTL
            )
        )
    return f"{base_url(settings)}/web/login?t={token}"


def base_url(settings: Any) -> str:
    if settings.web_base_url:
        return str(settings.web_base_url).rstrip("/")
    listen = settings.web_listen or "127.0.0.1:8080"
    return f"http://{listen}"


def consume_link(engine: Engine, clock: Any, token: str) -> str | None:
    """The user key of a valid, unused, unexpired token, now marked used; None otherwise."""
    if not token or len(token) > 200:
        return None
    now = _now(clock)
    h = digest(token)
    with engine.begin() as conn:
        row = conn.execute(
            select(_TOKEN.c.id, _TOKEN.c.token_hash, _TOKEN.c.user_key).where(_TOKEN.c.token_hash == h)
        ).first()
        if row is None or not hmac.compare_digest(row.token_hash, h):
            return None
        done = conn.execute(
            update(_TOKEN)
            .where(_TOKEN.c.id == row.id, _TOKEN.c.used_at.is_(None), _TOKEN.c.expires_at > now)
            .values(used_at=now)
        )
        return str(row.user_key) if done.rowcount == 1 else None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: int
    user_key: str
    csrf: str


def open_session(engine: Engine, clock: Any, user_key: str) -> tuple[str, SessionInfo]:
    """A new session: (cookie value, row)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = _now(clock)
    with engine.begin() as conn:
        result = conn.execute(
            _SESSION.insert().values(
                token_hash=digest(token), user_key=user_key, csrf=csrf, created_at=now, last_seen_at=now
            )
        )
        sid = int(result.inserted_primary_key[0])  # type: ignore[index]
    return token, SessionInfo(sid, user_key, csrf)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def find_session(engine: Engine, clock: Any, cookie: str) -> SessionInfo | None:
    """The live session of a cookie value (touching its idle timer), or None."""
    if not cookie or len(cookie) > 200:
        return None
    h = digest(cookie)
    now = _now(clock)
    with engine.connect() as conn:
        row = conn.execute(
            select(
                _SESSION.c.id,
                _SESSION.c.token_hash,
                _SESSION.c.user_key,
                _SESSION.c.csrf,
                _SESSION.c.last_seen_at,
            ).where(_SESSION.c.token_hash == h, _SESSION.c.revoked_at.is_(None))
        ).first()
        if row is None or not hmac.compare_digest(row.token_hash, h):
            return None
        seen = _aware(row.last_seen_at)
        if now - seen > SESSION_IDLE:
            return None
        if now - seen > TOUCH_EVERY:
            conn.execute(update(_SESSION).where(_SESSION.c.id == row.id).values(last_seen_at=now))
            conn.commit()
    return SessionInfo(int(row.id), str(row.user_key), str(row.csrf))


def revoke(engine: Engine, clock: Any, session_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(_SESSION).where(_SESSION.c.id == session_id).values(revoked_at=_now(clock)))


def revoke_user(engine: Engine, clock: Any, user_key: str) -> int:
    """End every session of a person (e.g. retired from the standing office)."""
    with engine.begin() as conn:
        done = conn.execute(
            update(_SESSION)
            .where(_SESSION.c.user_key == user_key, _SESSION.c.revoked_at.is_(None))
            .values(revoked_at=_now(clock))
        )
        return int(done.rowcount or 0)


def same_secret(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
