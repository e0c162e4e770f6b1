"""``run_due(now)``: send every reminder and digest due at that instant, exactly once, then return.

Used by the scheduler's jobs, by ``directive-bot reminders run-due`` and by tests.
Idempotent: a second call with the same ``now`` finds everything in the ledger and
sends nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.outbox import Outbox
from bot.reminders import ledger, targets
from bot.reminders.mutex import FanoutMutex
from bot.reminders.obligations import Obligations
from bot.reminders.obligations import for_app as obligations_for_app

log = logging.getLogger(__name__)

# Channels nobody reads asynchronously: a "sent" reminder there would be a lie.
NOT_PUSHABLE = frozenset({"console"})


class ReminderService:
    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        obligations: Obligations,
        *,
        admins: Iterable[str] = (),
        clock: Callable[[], datetime] | None = None,
        channels: Iterable[str] | None = None,
        instance_id: str = "",
        concurrency: int = 16,
        mutex_timeout: float = 900.0,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.obligations = obligations
        self.admins = frozenset(admins)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._channels = None if channels is None else frozenset(channels)
        self.owner = ledger.new_owner(instance_id)
        self.concurrency = concurrency
        self.mutex_timeout = mutex_timeout

    @property
    def channels(self) -> set[str]:
        """Channels reminders go out on: the outbox's, minus those nobody reads (console)."""
        if self._channels is not None:
            return set(self._channels)
        return set(self.outbox.channels) - NOT_PUSHABLE

    def now(self) -> datetime:
        return self.clock().astimezone(self.obligations.policy.zone)

    def due(self, now: datetime) -> list[targets.DueMessage]:
        with Session(self.engine) as session:
            return targets.due_messages(session, self.obligations, now, self.admins, self.channels)

    async def run_due(self, now: datetime | None = None) -> ledger.RunReport:
        now = (now or self.now()).astimezone(self.obligations.policy.zone)
        report = ledger.RunReport(now=now)
        async with FanoutMutex(self.engine, timeout=self.mutex_timeout):
            report.recovery = await asyncio.to_thread(ledger.recover, self.engine, self.clock())
            msgs = await asyncio.to_thread(self.due, now)
            report.due = len(msgs)
            if msgs:
                await ledger.fan_out(
                    self.engine, self.outbox, self.owner, msgs, self.clock, report, self.concurrency
                )
        if report.claimed:
            log.info(
                "Nhắc hạn %s: %d cần gửi, %d đã gửi, %d bị chặn, %d lỗi, %d bỏ qua, %d đã có trong sổ.",
                now.strftime("%d/%m/%Y %H:%M"),
                report.due,
                report.sent,
                report.blocked,
                report.failed,
                report.skipped,
                report.already,
            )
        return report


def for_app(app: Any) -> ReminderService:
    """The app's reminder service (one per app: one ledger owner id per process)."""
    if isinstance(getattr(app, "reminders", None), ReminderService):
        return app.reminders
    settings = app.settings
    service = ReminderService(
        app.engine,
        app.outbox,
        obligations_for_app(app),
        admins=settings.admins,
        clock=app.clock,
        instance_id=getattr(settings, "instance_id", ""),
    )
    if hasattr(app, "reminders"):
        app.reminders = service
    return service
