"""scheduler.py on the real app (build_app), the real Telegram sender and the fake Bot API server.

The app's clock runs at real speed from a chosen instant (TickingClock), so jobs fire
after real (short) delays at the instants the policy names.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.memory import MemoryJobStore

import scheduler
from bot.channels import telegram
from bot.config import Settings
from bot.reminders import state
from bot.reminders.obligations import for_app as obligations_for_app
from bot.reminders.service import for_app as service_for_app
from tests.fakes.reminders import TickingClock, add_member, fake_telegram

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(d: date, hh: int, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm, ss, us), tzinfo=VN)


@pytest.fixture
async def tg():
    async with fake_telegram() as server:
        yield server


@pytest.fixture
async def make_app(sqlite_url, tmp_path, pack, qa_engine, tg):
    """build_app on SQLite with Telegram sending to the fake server; three units with one member each."""
    from bot.app import build_app

    apps = []
    adapters = []

    async def make(start: datetime):
        settings = Settings(
            database_url=sqlite_url,
            admins=frozenset({"telegram:999"}),
            files_dir=str(tmp_path / "files"),
            telegram_token=tg.token,
            telegram_api_url=tg.api_root,
            telegram_rate=1000,
        )
        app = build_app(settings, clock=TickingClock(start), pack=pack, qa=qa_engine)
        apps.append(app)
        adapter = telegram.build(app)
        await adapter.start_sending()
        adapters.append(adapter)
        members = []
        for i, unit in enumerate(app.store.list_units()[:3]):
            tg_id = 2000 + i
            add_member(app.engine, unit.id, tg_id)
            tg.add_user(tg_id)
            members.append(tg_id)
        return app, members

    yield make
    for adapter in adapters:
        await adapter.stop()
    for app in apps:
        app.close()


async def wait_idle(seconds: float = 0.6) -> None:
    await asyncio.sleep(seconds)


async def test_start_configures_apscheduler_safely(make_app):
    app, _members = await make_app(vn(date(2024, 11, 20), 12))
    sched = scheduler.start(app)
    try:
        assert str(sched.timezone) == "Asia/Ho_Chi_Minh"
        assert isinstance(sched._jobstores["default"], MemoryJobStore)
        assert sched._job_defaults["misfire_grace_time"] is None
        assert sched._job_defaults["coalesce"] is True
        ids = [j.id for j in sched.get_jobs()]
        assert scheduler.SWEEP_ID in ids
        # Future instants of the 2024 unit report (due Sat 30/11/2024) and compiled report (due Sun 15/12).
        assert "reminders@2024-11-22T08:00:00+07:00" in ids  # before-7 (Sat 23/11 -> Fri 22/11)
        assert "reminders@2024-11-29T08:00:00+07:00" in ids  # due day (Sat) -> Friday
        assert "reminders@2025-11-14T08:00:00+07:00" in ids  # next year's before-14 (Sun 16/11 -> Fri 14/11)
        assert not any(i.startswith("reminders@2024-11-15") for i in ids)  # past
        assert not any(i.startswith("reminders@2026") for i in ids)  # outside the period
        assert scheduler_ids_unique(ids)
        # Re-deriving never duplicates jobs.
        again = scheduler.reschedule(app)
        assert len([j for j in sched.get_jobs() if j.id.startswith(scheduler.JOB_PREFIX)]) == len(again)
    finally:
        scheduler.shutdown(sched)
    await asyncio.sleep(0.05)  # AsyncIOScheduler shuts down on its loop's next iteration
    assert not sched.running


def scheduler_ids_unique(ids: list[str]) -> bool:
    return len(ids) == len(set(ids))


async def test_downtime_then_start_sends_one_late_reminder(make_app, tg):
    # Down since before 15/11 (before-14) and 22/11 (before-7); back on Wed 27/11/2024 at 10:30,
    # 2.5 hours after the before-3 reminder: each member gets ONE reminder, late, not three.
    app, members = await make_app(vn(date(2024, 11, 27), 10, 30))
    sched = scheduler.start(app)
    try:
        await tg.wait_for(members[-1], timeout=10)
        await wait_idle()
        for m in members:
            texts = tg.texts(m)
            assert len(texts) == 1, texts
            assert "còn 3 ngày" in texts[0]
    finally:
        scheduler.shutdown(sched)
    # A restart at the same time sends nothing more.
    sched = scheduler.start(app)
    try:
        await wait_idle(1.0)
        assert all(len(tg.texts(m)) == 1 for m in members)
    finally:
        scheduler.shutdown(sched)


async def test_job_fires_at_the_reminder_instant(make_app, tg):
    app, members = await make_app(vn(date(2024, 11, 29), 7, 59, 58))
    # The previous reminder (before-3, 27/11) was sent in time by an earlier run.
    service = service_for_app(app)
    await service.run_due(vn(date(2024, 11, 27), 8))
    assert all(len(tg.texts(m)) == 1 for m in members)
    sched = scheduler.start(app)
    try:
        await wait_idle(0.5)
        # (a loaded machine may already be past 08:00 here)
        if app.now() < vn(date(2024, 11, 29), 7, 59, 59, 500_000):
            assert all(len(tg.texts(m)) == 1 for m in members), "nothing new before 08:00"
        for m in members:  # fan-out order is not fixed: wait for each recipient
            await tg.wait_for(m, count=2, timeout=15)
        await wait_idle(0.3)
        for m in members:
            assert len(tg.texts(m)) == 2
            assert "Thứ Bảy 30/11/2024 — còn 1 ngày" in tg.texts(m)[-1]
    finally:
        scheduler.shutdown(sched)


async def test_notify_changed_rederives_jobs_and_sends_what_became_due(make_app, tg):
    app, members = await make_app(vn(date(2024, 11, 12), 9))
    sched = scheduler.start(app)
    try:
        await wait_idle()
        assert all(tg.texts(m) == [] for m in members)  # before-14 of 30/11 is on 15/11
        obs = obligations_for_app(app)
        # New due date Mon 25/11: its before-14 (Mon 11/11 08:00) is one day old, so it is sent now.
        state.set_due(app.engine, obs, obs.unit_report.id, 2024, date(2024, 11, 25), "telegram:999")
        assert scheduler.notify_changed(app) is True
        await tg.wait_for(members[-1], timeout=10)
        await wait_idle()
        for m in members:
            assert (
                len(tg.texts(m)) == 1 and "25/11/2024" in tg.texts(m)[0] and "còn 13 ngày" in tg.texts(m)[0]
            )
        ids = [j.id for j in sched.get_jobs()]
        assert "reminders@2024-11-18T08:00:00+07:00" in ids  # before-7 of the new date
        assert "reminders@2024-11-27T08:00:00+07:00" not in ids  # before-3 of the old due date: gone
    finally:
        scheduler.shutdown(sched)
    assert scheduler.notify_changed(app) is False  # no scheduler: a harmless no-op


async def test_opening_a_year_in_the_chat_schedules_it_at_once(make_app, tg):
    """/monam goes through app.schedule_changed(): the new year's jobs exist without waiting for the sweep."""
    from bot.messages import Incoming

    app, _members = await make_app(vn(date(2026, 11, 2), 9))
    sched = scheduler.start(app)
    try:
        await wait_idle()
        assert not [j.id for j in sched.get_jobs() if j.id.startswith("reminders@2026")]  # outside 2021–2025
        replies = await app.dispatcher.handle(
            Incoming(channel="telegram", user_id="999", chat_id="999", text="/monam 2026")
        )
        assert "Đã mở năm 2026" in replies[0].text
        await wait_idle()
        assert [j.id for j in sched.get_jobs() if j.id.startswith("reminders@2026")]
    finally:
        scheduler.shutdown(sched)
