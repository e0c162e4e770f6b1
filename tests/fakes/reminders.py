"""Helpers for the reminder tests: seed units, members and submissions; a Telegram outbox on the fake server.

The sending side is the real one: python-telegram-bot's ``Bot`` through
:class:`bot.channels.telegram.TelegramAdapter` (``start_sending`` only, no polling)
against :class:`tests.fakes.telegram_server.FakeTelegramServer` on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy.engine import Engine

from bot.outbox import Outbox
from bot.storage.db import make_engine, session_scope
from bot.storage.models import Membership, Submission, Unit, User

CATEGORIES = ["district", "department", "socio_political", "armed_forces", "media"]


def make_db(url: str) -> Engine:
    """An engine on ``url`` with the schema at the latest migration."""
    from bot.storage.migrations import upgrade

    engine = make_engine(url)
    upgrade(engine)
    return engine


@dataclass
class Seeded:
    units: dict[int, str] = field(default_factory=dict)  # unit id -> name
    office_unit: int = 0
    members: dict[int, list[int]] = field(default_factory=dict)  # unit id -> telegram user ids
    user_ids: dict[int, int] = field(default_factory=dict)  # telegram user id -> User.id

    def all_members(self) -> list[int]:
        return [u for ids in self.members.values() for u in ids]


def _new_user(s: Any, tg_id: int, channel: str) -> User:
    u = User(
        key=f"{channel}:{tg_id}",
        channel=channel,
        external_id=str(tg_id),
        chat_id=str(tg_id),
        display_name=f"Cán bộ {tg_id}",
    )
    s.add(u)
    s.flush()
    return u


def add_user(engine: Engine, tg_id: int, channel: str = "telegram") -> int:
    with session_scope(engine) as s:
        return int(_new_user(s, tg_id, channel).id)  # type: ignore[arg-type]


def seed(
    engine: Engine,
    n_units: int = 6,
    members_per_unit: int = 2,
    first_tg_id: int = 1000,
    office_members: int = 1,
    channel: str = "telegram",
) -> Seeded:
    """``n_units`` units (the first one is the standing office), each with approved members."""
    out = Seeded()
    tg = first_tg_id
    with session_scope(engine) as s:
        for i in range(n_units):
            unit = Unit(
                name=f"Đơn vị {i + 1:04d}", category=CATEGORIES[i % len(CATEGORIES)], standing_office=(i == 0)
            )
            s.add(unit)
            s.flush()
            out.units[unit.id] = unit.name  # type: ignore[index]
            if i == 0:
                out.office_unit = unit.id  # type: ignore[assignment]
            count = office_members if i == 0 else members_per_unit
            for _ in range(count):
                u = _new_user(s, tg, channel)
                s.add(Membership(user_id=u.id, unit_id=unit.id, status="approved"))  # type: ignore[arg-type]
                out.members.setdefault(unit.id, []).append(tg)  # type: ignore[arg-type]
                out.user_ids[tg] = u.id  # type: ignore[assignment]
                tg += 1
    return out


def submit(engine: Engine, unit_id: int, year: int, user_id: int) -> None:
    with session_scope(engine) as s:
        s.add(
            Submission(
                unit_id=unit_id,
                year=year,
                answers={"so_mo_hinh": 1},
                submitted_by_user_id=user_id,
                submitted_at=datetime.now(UTC),
            )
        )


@contextlib.asynccontextmanager
async def fake_telegram(
    rate: int = 1000, per_chat_rate: int = 50, per_chat_window: float = 1.0
) -> AsyncIterator[Any]:
    """A started :class:`tests.fakes.telegram_server.FakeTelegramServer`, stopped on exit.

    The defaults are generous enough that the reminder tests, which do not test rate limits, never see a 429.
    """
    from tests.fakes.telegram_server import FakeTelegramServer

    server = FakeTelegramServer(rate=rate, per_chat_rate=per_chat_rate, per_chat_window=per_chat_window)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def telegram_outbox(
    server: Any, rate: int = 30, outbox: Outbox | None = None, per_chat: tuple[int, float] | None = None
) -> AsyncIterator[Outbox]:
    """An :class:`Outbox` whose Telegram sender is the real adapter's, talking to ``server``.

    ``per_chat=(burst, window)`` replaces the adapter's per-chat limit (Telegram's ~1 message
    per second per chat) for tests that send several reminders to one chat and do not test it.
    """
    from bot.channels.telegram import TelegramAdapter
    from bot.config import Settings
    from bot.outbox import RateLimit

    settings = Settings(telegram_token=server.token, telegram_api_url=server.api_root, telegram_rate=rate)
    outbox = outbox or Outbox()
    adapter = TelegramAdapter(SimpleNamespace(outbox=outbox, settings=settings), settings)
    await adapter.start_sending()
    if per_chat is not None:
        outbox.register(
            adapter.sender, RateLimit(rate=rate, per_chat_burst=per_chat[0], per_chat_window=per_chat[1])
        )
    try:
        yield outbox
    finally:
        await adapter.stop()


def received(server: Any, chat_ids: Iterable[int]) -> dict[int, list[str]]:
    return {c: server.texts(c) for c in chat_ids}


def add_member(
    engine: Engine, unit_id: int, tg_id: int, channel: str = "telegram", status: str = "approved"
) -> int:
    """A user of ``channel`` who is an (approved) member of ``unit_id``; returns User.id."""
    uid = add_user(engine, tg_id, channel)
    with session_scope(engine) as s:
        s.add(Membership(user_id=uid, unit_id=unit_id, status=status))
    return uid


class TickingClock:
    """An app clock that starts at ``start`` and runs at real speed (for scheduler tests)."""

    def __init__(self, start: datetime) -> None:
        import time

        self._mono = time.monotonic
        self.start = start
        self.t0 = time.monotonic()

    def __call__(self) -> datetime:
        from datetime import timedelta

        return (self.start + timedelta(seconds=self._mono() - self.t0)).astimezone(UTC)
