"""When to look for due reminders: APScheduler 3 on the bot's event loop. The database decides *what*.

``start(app)`` (called by :mod:`bot.runner` inside ``directive-bot run``) creates an
:class:`~apscheduler.schedulers.asyncio.AsyncIOScheduler` in Asia/Ho_Chi_Minh with

- one *date* job per future reminder instant (``reminders@2025-11-28T08:00:00+07:00``),
  derived from the obligations, the due dates in the database and the stored reports;
  each calls :meth:`bot.reminders.service.ReminderService.run_due`, which sends what
  is current at that instant and records it in the delivery ledger;
- a *catch-up* job at start: a reminder that fell due while the bot was down is sent
  once, late (the policy keeps only the latest missed reminder of a series current, and
  the ledger refuses repeats), never once per missed run;
- a *sweep* every ``SWEEP_MINUTES``: re-derives the jobs (so a due date changed by
  another process, e.g. the CLI, is picked up) and calls ``run_due`` (retries
  transient failures, takes over the work of a crashed second instance).

Code that changes what is due (``/hanbaocao``, a submission, an opened year) calls
:func:`notify_changed`; it re-derives the jobs and runs ``run_due`` right away.

APScheduler 3 pitfalls, and what this module does about them:

- The default ``misfire_grace_time`` of 1 s silently drops a run missed because the
  loop was busy or the machine slept: here it is ``None`` (no limit) with
  ``coalesce=True``, so a late job runs once. Whether the reminder is still worth
  sending is the policy's decision (``max_late``), not the scheduler's.
- Persistent job stores pickle the job (callable reference and arguments): a code
  change can make old pickles fail to load or call the wrong thing, and the store
  would be a second source of truth next to the database. The documentation also
  says a job store must never be shared between schedulers, which two bot instances
  on one database would do. So the job store is in memory and rebuilt from the
  database at every start and change; exactly-once comes from the ledger
  (:mod:`bot.reminders.ledger`), not from the scheduler.
- Explicit job ids with ``replace_existing=True``: re-deriving the schedule never
  duplicates a job.

Time: job run dates follow ``app.now()`` (the app's injectable clock); with the real
clock this is plain wall time.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session

log = logging.getLogger(__name__)

TIMEZONE = "Asia/Ho_Chi_Minh"
JOB_PREFIX = "reminders@"
CATCHUP_ID = "reminders-catchup"
CHANGED_ID = "reminders-changed"
SWEEP_ID = "reminders-sweep"
SWEEP_MINUTES = 10.0


def _service(app: Any) -> Any:
    from bot.reminders.service import for_app

    return for_app(app)


def _to_wall(app: Any, at: datetime) -> datetime:
    """The scheduler's (wall-clock) time for an instant on the app's clock."""
    return datetime.now(UTC) + (at - app.now())


def start(app: Any, *, sweep_minutes: float = SWEEP_MINUTES) -> AsyncIOScheduler:
    """Create, fill and start the scheduler (call from inside the running event loop)."""
    sched = AsyncIOScheduler(
        timezone=ZoneInfo(TIMEZONE),
        jobstores={"default": MemoryJobStore()},
        executors={"default": AsyncIOExecutor()},
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
    )
    app.scheduler = sched
    sched.start()
    try:
        jobs = reschedule(app, sched)
        log.info("Bộ nhắc hạn: %d mốc nhắc sắp tới.", len(jobs))
    except Exception:  # a broken pack or database must not keep the channels down; the sweep retries
        log.exception("Bộ nhắc hạn: không lập được lịch lúc khởi động")
    sched.add_job(_run_due, DateTrigger(datetime.now(UTC)), args=[app], id=CATCHUP_ID, replace_existing=True)
    sched.add_job(
        _sweep, IntervalTrigger(minutes=sweep_minutes), args=[app, sched], id=SWEEP_ID, replace_existing=True
    )
    return sched


def shutdown(sched: AsyncIOScheduler) -> None:
    """Stop without waiting: a fan-out in progress is cancelled; the ledger's recovery handles its rows."""
    sched._directive_bot_stopped = True  # type: ignore[attr-defined]  # AsyncIOScheduler stops on the next loop turn
    if sched.running:
        sched.shutdown(wait=False)


def scheduler_of(app: Any) -> AsyncIOScheduler | None:
    sched = getattr(app, "scheduler", None)
    if not isinstance(sched, AsyncIOScheduler) or not sched.running:
        return None
    return None if getattr(sched, "_directive_bot_stopped", False) else sched


def planned_instants(app: Any) -> list[datetime]:
    """Future reminder instants (app clock) derived from the database."""
    from bot.reminders.targets import future_instants

    service = _service(app)
    with Session(service.engine) as session:
        return future_instants(session, service.obligations, app.now())


def reschedule(
    app: Any, sched: AsyncIOScheduler | None = None, instants: list[datetime] | None = None
) -> list[str]:
    """Make the scheduler's date jobs match the database: add the new instants, drop the stale ones."""
    sched = sched or scheduler_of(app)
    if sched is None:
        return []
    if instants is None:
        instants = planned_instants(app)
    wanted: dict[str, datetime] = {f"{JOB_PREFIX}{at.isoformat()}": at for at in instants}
    for job in sched.get_jobs():
        if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
            job.remove()
    for job_id, at in wanted.items():
        sched.add_job(
            _run_due,
            DateTrigger(_to_wall(app, at)),
            args=[app],
            id=job_id,
            replace_existing=True,
            name=f"nhắc hạn {at.strftime('%d/%m/%Y %H:%M')}",
        )
    return sorted(wanted)


def notify_changed(app: Any) -> bool:
    """Hook for code that changed what is due (due date, submission, opened year, units).

    Safe to call anywhere: without a running scheduler (CLI, tests) it does nothing and
    returns False. Otherwise it queues one immediate job that re-derives the schedule
    and sends whatever became due (coalesced if called many times at once).
    """
    sched = scheduler_of(app)
    if sched is None:
        return False
    sched.add_job(
        _changed, DateTrigger(datetime.now(UTC)), args=[app, sched], id=CHANGED_ID, replace_existing=True
    )
    return True


async def _run_due(app: Any) -> None:
    try:
        await _service(app).run_due(app.now())
    except Exception:
        log.exception("Bộ nhắc hạn: lỗi khi gửi nhắc")


async def _reschedule_async(app: Any, sched: AsyncIOScheduler) -> None:
    instants = await asyncio.to_thread(planned_instants, app)
    reschedule(app, sched, instants)


async def _changed(app: Any, sched: AsyncIOScheduler) -> None:
    try:
        await _reschedule_async(app, sched)
    except Exception:
        log.exception("Bộ nhắc hạn: không cập nhật được lịch")
    await _run_due(app)


async def _sweep(app: Any, sched: AsyncIOScheduler) -> None:
    await _changed(app, sched)
