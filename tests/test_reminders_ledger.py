"""The delivery ledger end to end: real database (SQLite file and PostgreSQL), real python-telegram-bot
sender, the strict fake Bot API server on 127.0.0.1.

Covers: each due reminder once (and a second run sends nothing), only units that have not
submitted, the standing office's digest, a changed due date, blocked recipients, a
submission in the middle of a fan-out, recovery of rows a killed run left behind,
retryable failures, two instances at once, and the cross-process fan-out lock.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import Session

from bot.outbox import Outbox
from bot.reminders import ledger, obligations, state
from bot.reminders.mutex import FanoutMutex, MutexTimeout
from bot.reminders.service import ReminderService
from bot.storage.db import session_scope
from bot.storage.models import Delivery, Membership, User
from tests.fakes.reminders import add_user, fake_telegram, make_db, seed, submit, telegram_outbox
from tests.fakes.telegram_server import FakeTelegramServer

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OBS = obligations.load()
# Due date of the 2024 unit reports: 30/11/2024 (a Saturday). Its "before-3" reminder: Wed 27/11 08:00.
T_BEFORE3 = datetime.combine(date(2024, 11, 27), time(8, 0), tzinfo=VN)
ADMIN_TG = 999


def service(engine, outbox, **kw) -> ReminderService:
    kw.setdefault("admins", {f"telegram:{ADMIN_TG}"})
    return ReminderService(engine, outbox, OBS, clock=lambda: datetime.now(UTC), **kw)


def rows(engine) -> list[Delivery]:
    with Session(engine) as s:
        return list(s.exec(select(Delivery).order_by(Delivery.id)).scalars())


@pytest.fixture
async def tg():
    async with fake_telegram() as server:
        yield server


def add_tg_users(server, ids) -> None:
    for i in ids:
        server.add_user(i)


async def test_each_due_reminder_once_only_missing_units_and_digest(db_url, tg):
    engine = make_db(db_url)
    seeded = seed(engine, n_units=6, members_per_unit=2)
    admin_uid = add_user(engine, ADMIN_TG)
    add_tg_users(tg, [*seeded.all_members(), ADMIN_TG])
    units = list(seeded.units)
    submitted_unit = units[1]
    submit(engine, submitted_unit, 2024, seeded.user_ids[seeded.members[submitted_unit][0]])
    # A pending member and an inactive (blocked earlier) member never get anything.
    pending_tg, inactive_tg = 5001, 5002
    with session_scope(engine) as s:
        for tg_id, active, status in ((pending_tg, True, "pending"), (inactive_tg, False, "approved")):
            u = User(
                key=f"telegram:{tg_id}",
                channel="telegram",
                external_id=str(tg_id),
                chat_id=str(tg_id),
                active=active,
            )
            s.add(u)
            s.flush()
            s.add(Membership(user_id=u.id, unit_id=units[2], status=status))
    add_tg_users(tg, [pending_tg, inactive_tg])

    async with telegram_outbox(tg, rate=1000, per_chat=(20, 1.0)) as outbox:
        svc = service(engine, outbox)
        report = await svc.run_due(T_BEFORE3)
        office_tg = seeded.members[seeded.office_unit][0]
        reminded = [m for u, ms in seeded.members.items() if u != submitted_unit for m in ms]
        assert report.sent == len(reminded) + 2  # + digest to the office member and to the admin
        assert report.failed == report.blocked == report.skipped == 0
        for u, members in seeded.members.items():
            for m in members:
                texts = tg.texts(m)
                if u == submitted_unit:
                    assert texts == [], "a unit that submitted is not reminded"
                    continue
                reminders = [t for t in texts if t.startswith("Nhắc hạn")]
                assert len(reminders) == 1
                text = reminders[0]
                assert seeded.units[u] in text and "năm 2024" in text
                assert "30/11/2024" in text and "còn 3 ngày" in text
                assert "/baocao" in text and "Mục 2" in text and "5500/UBND-NC" in text
        assert tg.texts(pending_tg) == [] and tg.texts(inactive_tg) == []
        digests = [t for t in tg.texts(office_tg) if t.startswith("Tổng hợp")]
        assert len(digests) == 1 and tg.texts(ADMIN_TG) == digests
        assert "Đã nộp: 1/6 đơn vị" in digests[0]
        assert seeded.units[units[2]] in digests[0] and seeded.units[submitted_unit] not in digests[0]
        assert "UBND các huyện, thành phố, thị xã" in digests[0]

        before = sum(len(tg.texts(c)) for c in [*seeded.all_members(), ADMIN_TG])
        again = await svc.run_due(T_BEFORE3)
        assert again.sent == 0 and again.claimed == 0 and again.already == again.due == report.due
        # A second instance (another owner) at the same instant sends nothing either.
        other = await service(engine, outbox).run_due(T_BEFORE3.replace(hour=15))
        assert other.sent == 0
        assert sum(len(tg.texts(c)) for c in [*seeded.all_members(), ADMIN_TG]) == before
    statuses = {r.status for r in rows(engine)}
    assert statuses == {"sent"}
    assert all(r.sent_at is not None for r in rows(engine))
    assert admin_uid


async def test_nothing_outside_slots_or_outside_the_period(sqlite_url, tg):
    engine = make_db(sqlite_url)
    seeded = seed(engine, n_units=3)
    add_tg_users(tg, seeded.all_members())
    async with telegram_outbox(tg, rate=1000, per_chat=(20, 1.0)) as outbox:
        svc = service(engine, outbox)
        assert (await svc.run_due(T_BEFORE3.replace(hour=7, minute=59))).due == 0
        # 2026 is outside the directive's period: nothing, until an admin opens it.
        in_2026 = datetime.combine(date(2026, 11, 25), time(9), tzinfo=VN)  # Wed; due 30/11/2026 is a Monday
        assert (await svc.run_due(in_2026)).due == 0
        assert state.open_year(engine, OBS, 2026, "telegram:1")
        report = await svc.run_due(in_2026)
        assert report.sent == len(seeded.all_members()) + 1  # unit reminders + the office digest
        assert all("năm 2026" in tg.texts(m)[0] for m in seeded.all_members())


async def test_changed_due_date_starts_a_new_series(db_url, tg):
    engine = make_db(db_url)
    seeded = seed(engine, n_units=2, members_per_unit=1)
    add_tg_users(tg, seeded.all_members())
    member = seeded.members[list(seeded.units)[1]][0]
    async with telegram_outbox(tg, rate=1000, per_chat=(20, 1.0)) as outbox:
        svc = service(engine, outbox)
        await svc.run_due(T_BEFORE3)
        assert len(tg.texts(member)) == 1
        change = state.set_due(engine, OBS, OBS.unit_report.id, 2024, date(2024, 12, 10), "telegram:999")
        assert change.old == date(2024, 11, 30) and not change.opened_year
        # The new series' current reminder (before-14 of 10/12, i.e. Tue 26/11) is sent once, now.
        report = await svc.run_due(T_BEFORE3)
        assert report.sent == 3  # two units' members and the office digest
        assert "10/12/2024" in tg.texts(member)[-1] and "còn 13 ngày" in tg.texts(member)[-1]
        assert (await svc.run_due(T_BEFORE3)).sent == 0
    with Session(engine) as s:
        from bot.storage.models import AuditLog

        audit = list(s.exec(select(AuditLog).where(AuditLog.action == "reminders.set_due")).scalars())
    assert audit and audit[0].detail["new"] == "2024-12-10"


async def test_blocked_recipient_marked_inactive_and_skipped_later(db_url, tg):
    engine = make_db(db_url)
    seeded = seed(engine, n_units=2, members_per_unit=2)
    add_tg_users(tg, seeded.all_members())
    unit = list(seeded.units)[1]
    blocked_tg, ok_tg = seeded.members[unit]
    tg.block(blocked_tg)
    async with telegram_outbox(tg, rate=1000, per_chat=(20, 1.0)) as outbox:
        svc = service(engine, outbox)
        report = await svc.run_due(T_BEFORE3)
        assert report.blocked == 1
        with Session(engine) as s:
            assert s.get(User, seeded.user_ids[blocked_tg]).active is False
            assert s.get(User, seeded.user_ids[ok_tg]).active is True
        assert [r.status for r in rows(engine) if r.recipient == f"telegram:{blocked_tg}"] == ["blocked"]
        # Next reminder day: the blocked user is not even tried.
        due_day = datetime.combine(date(2024, 11, 29), time(8), tzinfo=VN)
        calls_before = len([c for c in tg.calls if c[0].lower() == "sendmessage"])
        nxt = await svc.run_due(due_day)
        assert nxt.blocked == 0 and nxt.sent >= 1
        assert not [
            r
            for r in rows(engine)
            if r.recipient == f"telegram:{blocked_tg}" and "@" in r.kind and r.kind.startswith("due")
        ]
        assert len([c for c in tg.calls if c[0].lower() == "sendmessage"]) == calls_before + nxt.sent
        assert len(tg.texts(ok_tg)) == 2


async def test_unit_that_submits_mid_fan_out_stops_receiving_at_once(sqlite_url):
    engine = make_db(sqlite_url)
    seeded = seed(engine, n_units=2, members_per_unit=10)
    unit = list(seeded.units)[1]
    members = seeded.members[unit]
    rate = 5
    async with fake_telegram(rate=rate) as server:
        add_tg_users(server, seeded.all_members())
        async with telegram_outbox(server, rate=rate) as outbox:
            svc = service(engine, outbox, admins=())

            async def submit_after_first() -> None:
                await server.wait_for(members[0], timeout=10)
                await asyncio.to_thread(submit, engine, unit, 2024, seeded.user_ids[members[0]])

            waiter = asyncio.create_task(submit_after_first())
            report = await svc.run_due(T_BEFORE3)
            await waiter
        got = [m for m in members if server.texts(m)]
        # The outbox grants at most `rate` slots per second; the unit submitted right after its
        # first reminder arrived, so at most the rest of that first window's slots went out.
        assert 1 <= len(got) <= rate, got
        assert report.skipped == len(members) - len(got)
        skipped = [r for r in rows(engine) if r.status == "skipped"]
        assert len(skipped) == report.skipped and {r.error for r in skipped} == {"đơn vị đã nộp báo cáo"}
        office = seeded.members[seeded.office_unit][0]
        assert len(server.texts(office)) == 2  # its own unit's reminder and the digest
        assert server.count_429 == 0


async def test_recovery_of_rows_a_killed_run_left_behind(db_url, tg):
    engine = make_db(db_url)
    seeded = seed(engine, n_units=3, members_per_unit=2)
    add_tg_users(tg, [*seeded.all_members(), ADMIN_TG])
    async with telegram_outbox(tg, rate=1000, per_chat=(20, 1.0)) as outbox:
        svc = service(engine, outbox, admins=())
        due = await asyncio.to_thread(svc.due, T_BEFORE3)
        # A run that was SIGKILLed: claimed two, marked a third 'sending', sent nothing else.
        claimed, in_flight = due[:2], due[2]
        ledger.claim(engine, "dead-host:1:abc", [*claimed, in_flight], datetime.now(UTC))
        with session_scope(engine) as s:
            row = s.exec(select(Delivery).where(Delivery.key == in_flight.key)).scalars().one()
            row.status = "sending"
            s.add(row)
        report = await svc.run_due(T_BEFORE3)
        assert report.recovery.released == 2 and report.recovery.unknown == 1
        assert report.sent == len(due) - 1
        assert tg.texts(int(in_flight.outgoing.chat_id)) == [] or in_flight.recipient.startswith("digest")
        by_key = {r.key: r for r in rows(engine)}
        assert by_key[in_flight.key].status == "unknown"
        assert all(by_key[m.key].status == "sent" for m in claimed)
        assert (await svc.run_due(T_BEFORE3)).sent == 0  # unknown is never resent


async def test_retryable_failure_is_sent_by_a_later_run(sqlite_url):
    engine = make_db(sqlite_url)
    seeded = seed(engine, n_units=2, members_per_unit=1)
    server = FakeTelegramServer(rate=1000, per_chat_rate=50, per_chat_window=1.0)
    await server.start()
    port = server.port
    add_tg_users(server, seeded.all_members())
    outbox = Outbox(max_attempts=2, backoff=0.01)
    async with telegram_outbox(server, rate=1000, outbox=outbox, per_chat=(20, 1.0)):
        await server.stop()  # the API goes away after the bot logged in
        svc = service(engine, outbox, admins=())
        first = await svc.run_due(T_BEFORE3)
        assert first.failed == first.claimed > 0 and first.sent == 0
        assert all(r.status == "failed" and r.error.startswith(ledger.RETRY_PREFIX) for r in rows(engine))
        server2 = FakeTelegramServer(rate=1000, per_chat_rate=50, per_chat_window=1.0)
        await server2.start(port=port)
        try:
            add_tg_users(server2, seeded.all_members())
            second = await svc.run_due(T_BEFORE3.replace(hour=9))
            assert second.recovery.retried == first.failed
            assert second.sent == first.failed
            assert sum(len(server2.texts(m)) for m in seeded.all_members()) == first.failed
            assert all(server2.texts(m) for m in seeded.all_members())
            assert (await svc.run_due(T_BEFORE3.replace(hour=10))).sent == 0
        finally:
            await server2.stop()


async def test_two_instances_at_once_send_each_reminder_once(db_url):
    engine = make_db(db_url)
    seeded = seed(engine, n_units=8, members_per_unit=5)
    async with fake_telegram(rate=100) as server:
        add_tg_users(server, seeded.all_members())
        async with telegram_outbox(server, rate=100) as out1, telegram_outbox(server, rate=100) as out2:
            a, b = service(engine, out1, admins=()), service(engine, out2, admins=())
            ra, rb = await asyncio.gather(a.run_due(T_BEFORE3), b.run_due(T_BEFORE3))
        assert ra.sent + rb.sent == len(seeded.all_members()) + 1
        assert min(ra.sent, rb.sent) == 0  # one fan-out at a time: the second finds everything done
        office = seeded.members[seeded.office_unit][0]
        for m in seeded.all_members():
            assert len(server.texts(m)) == (2 if m == office else 1)  # the office also gets the digest
        assert server.count_429 == 0


_HOLDER = textwrap.dedent(
    """
    import asyncio, sys, time
    from bot.storage.db import make_engine
    from bot.reminders.mutex import FanoutMutex

    async def main():
        async with FanoutMutex(make_engine(sys.argv[1])):
            print("locked", flush=True)
            await asyncio.sleep(60)

    asyncio.run(main())
    """
)


async def test_fanout_lock_is_held_across_processes_and_freed_by_sigkill(db_url):
    engine = make_db(db_url)
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, db_url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    try:
        line = await asyncio.to_thread(proc.stdout.readline)  # type: ignore[union-attr]
        assert line.strip() == "locked"
        with pytest.raises(MutexTimeout):
            async with FanoutMutex(engine, timeout=0.6, poll=0.1):
                pass
        proc.kill()
        await asyncio.to_thread(proc.wait)
        async with FanoutMutex(engine, timeout=10, poll=0.1):
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_guard_cancels_what_is_no_longer_wanted_right_before_sending(db_url, tg):
    """Messages computed earlier, then the world changes: the guard in the 'sending' step decides."""
    engine = make_db(db_url)
    seeded = seed(engine, n_units=4, members_per_unit=2)
    add_tg_users(tg, seeded.all_members())
    units = list(seeded.units)
    left, blocked_meanwhile, keeps = seeded.members[units[1]][0], seeded.members[units[1]][1], units[3]
    submitted_unit = units[2]
    async with telegram_outbox(tg, rate=1000, per_chat=(20, 1.0)) as outbox:
        svc = service(engine, outbox, admins=())
        msgs = await asyncio.to_thread(svc.due, T_BEFORE3)
        with session_scope(engine) as s:
            m = s.exec(select(Membership).where(Membership.user_id == seeded.user_ids[left])).scalars().one()
            m.status = "ended"
            s.add(m)
            u = s.get(User, seeded.user_ids[blocked_meanwhile])
            u.active = False
            s.add(u)
        submit(engine, submitted_unit, 2024, seeded.user_ids[seeded.members[submitted_unit][0]])
        report = ledger.RunReport(now=T_BEFORE3)
        await ledger.fan_out(engine, outbox, "test-owner", msgs, lambda: datetime.now(UTC), report)
    reasons = {r.recipient: r.error for r in rows(engine) if r.status == "skipped"}
    assert reasons == {
        f"telegram:{left}": "người nhận không còn là thành viên của đơn vị",
        f"telegram:{blocked_meanwhile}": "người nhận đã chặn bot",
        **{f"telegram:{m}": "đơn vị đã nộp báo cáo" for m in seeded.members[submitted_unit]},
    }
    assert report.skipped == 4 and tg.texts(left) == [] and tg.texts(blocked_meanwhile) == []
    assert all(len(tg.texts(m)) == 1 for m in seeded.members[keeps])
