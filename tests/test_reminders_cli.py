"""``directive-bot reminders`` as a subprocess against the strict fake Bot API server on 127.0.0.1.

The acceptance check of the issue: ``run-due --now ...`` delivers each due reminder exactly once
across two runs, and across a SIGKILL in the middle of a run.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import Session

from bot.commands.reminders import parse_now
from bot.storage.models import Delivery
from tests.fakes.reminders import add_user, fake_telegram, make_db, seed, submit
from tests.fakes.telegram_server import FakeTelegramServer

ROOT = Path(__file__).resolve().parents[1]
NOW = "2024-11-27T08:00:00+07:00"  # before-3 reminder of the 2024 unit reports (due 30/11/2024)
ADMIN_TG = 999


def env_for(db_url: str, server: FakeTelegramServer, tmp_path: Path, rate: int) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "BOT_", "DATABASE_"))
    }
    env.update(
        DATABASE_URL=db_url,
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_API_URL=server.api_root,
        TELEGRAM_RATE_LIMIT=str(rate),
        BOT_ADMINS=f"telegram:{ADMIN_TG}",
        FILES_DIR=str(tmp_path / "files"),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


async def cli(env: dict[str, str], cwd: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "reminders",
        *args,
        env=env,
        cwd=str(cwd),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_cli(env: dict[str, str], cwd: Path, *args: str, timeout: float = 120) -> tuple[int, str, str]:
    proc = await cli(env, cwd, *args)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(), err.decode()


def ledger_rows(engine) -> list[Delivery]:
    with Session(engine) as s:
        return list(s.exec(select(Delivery)).scalars())


def total_sent(server: FakeTelegramServer) -> int:
    return sum(len(v) for v in server.sent.values())


@pytest.fixture
async def server():
    async with fake_telegram(rate=100, per_chat_rate=3, per_chat_window=3.0) as srv:
        yield srv


@pytest.mark.slow
async def test_run_due_twice_sends_once(db_url, server, tmp_path):
    engine = make_db(db_url)
    seeded = seed(engine, n_units=5, members_per_unit=3)
    add_user(engine, ADMIN_TG)
    submitted = list(seeded.units)[1]
    submit(engine, submitted, 2024, seeded.user_ids[seeded.members[submitted][0]])
    blocked = seeded.members[list(seeded.units)[2]][0]
    for tg_id in [*seeded.all_members(), ADMIN_TG]:
        server.add_user(tg_id)
    server.block(blocked)
    env = env_for(db_url, server, tmp_path, rate=100)

    code, out, err = await run_cli(env, tmp_path, "run-due", "--now", NOW, "--json")
    assert code == 0, err
    first = json.loads(out)
    reminded = [m for u, ms in seeded.members.items() if u != submitted for m in ms]
    assert first["sent"] == len(reminded) - 1 + 2  # minus the blocked one; digest to office + admin
    assert first["blocked"] == 1 and first["failed"] == 0
    for m in seeded.members[submitted]:
        assert server.texts(m) == []
    sent_before = total_sent(server)

    code, out, err = await run_cli(env, tmp_path, "run-due", "--now", NOW)
    assert code == 0, err
    assert "Gửi lần này: 0" in out
    assert total_sent(server) == sent_before

    code, out, _ = await run_cli(env, tmp_path, "plan", "--year", "2024", "--now", NOW, "--json")
    assert code == 0
    plan = json.loads(out)
    unit_ob = next(o for o in plan["obligations"] if o["id"] == "unit-annual-report")
    current = next(s for s in unit_ob["slots"] if s["state"] == "current")
    assert current["kind"] == "before-3@2024-11-30"
    statuses = {r["to"]: r["status"] for r in current["recipients"]}
    assert statuses[f"telegram:{blocked}"] == "blocked"
    assert all(statuses[f"telegram:{m}"] == "sent" for m in reminded if m != blocked)
    assert not any(r["unit"] == seeded.units[submitted] for r in current["recipients"])
    upcoming = next(s for s in unit_ob["slots"] if s["kind"].startswith("due@"))
    assert upcoming["state"] == "upcoming" and all(r["status"] == "" for r in upcoming["recipients"])


@pytest.mark.slow
async def test_sigkill_in_the_middle_of_a_fan_out_then_rerun_delivers_each_once(db_url, server, tmp_path):
    engine = make_db(db_url)
    seeded = seed(engine, n_units=21, members_per_unit=10, office_members=2)  # 202 members
    for tg_id in seeded.all_members():
        server.add_user(tg_id)
    env = env_for(db_url, server, tmp_path, rate=100)
    expected = len(seeded.all_members()) + len(seeded.members[seeded.office_unit])  # + digests

    proc = await cli(env, tmp_path, "run-due", "--now", NOW)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while total_sent(server) < expected // 3:  # ~0.7 s into a ~2 s fan-out at 100 msg/s
        assert proc.returncode is None, (await proc.communicate())[1].decode()
        assert loop.time() < deadline, "the fan-out did not start"
        await asyncio.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    at_kill = total_sent(server)
    assert 0 < at_kill < expected

    code, out, err = await run_cli(env, tmp_path, "run-due", "--now", NOW, "--json")
    assert code == 0, err
    second = json.loads(out)
    assert second["recovered_claims"] > 0  # rows claimed by the killed run, never sent: sent now
    office = set(seeded.members[seeded.office_unit])
    counts = {m: len(server.texts(m)) for m in seeded.all_members()}
    want = {m: (2 if m in office else 1) for m in seeded.all_members()}
    assert not {m: n for m, n in counts.items() if n > want[m]}, "a reminder was sent twice"
    # Documented residual window: rows marked 'sending' when the run was killed become 'unknown' and
    # are not resent. Almost all of them were in flight, i.e. delivered; one whose request had not
    # yet left the process would be missing (at most one at a time, thanks to pacing).
    unknown = {
        int(r.recipient.removeprefix("digest:").split(":")[1])
        for r in ledger_rows(engine)
        if r.status == "unknown"
    }
    missing = {m for m, n in counts.items() if n < want[m]}
    assert missing <= unknown, f"lost without an 'unknown' ledger row: {missing - unknown}; {second}"
    assert second["unknown_from_crash"] <= 8  # the fan-out's concurrency
    assert len(missing) <= 1
    assert total_sent(server) == expected - len(missing)
    assert server.count_429 == 0

    code, out, _ = await run_cli(env, tmp_path, "run-due", "--now", NOW, "--json")
    assert json.loads(out)["sent"] == 0 and total_sent(server) == expected - len(missing)


async def test_set_due_mark_done_and_bad_input(sqlite_url, server, tmp_path):
    make_db(sqlite_url)
    env = env_for(sqlite_url, server, tmp_path, rate=100)
    code, out, err = await run_cli(env, tmp_path, "set-due", "2024", "10/12/2024")
    assert code == 0 and "10/12/2024" in out and "30/11/2024" in out
    code, out, _ = await run_cli(env, tmp_path, "plan", "--year", "2024", "--json")
    obs = {o["id"]: o for o in json.loads(out)["obligations"]}
    assert obs["unit-annual-report"]["due"] == "2024-12-10" and obs["unit-annual-report"]["due_set_by_admin"]
    code, _, err = await run_cli(env, tmp_path, "set-due", "2024", "31/11/2024")
    assert code == 2 and "không tồn tại" in err
    code, out, _ = await run_cli(env, tmp_path, "mark-done", "2024")
    assert code == 0 and "Đã lưu" in out


def test_parse_now():
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    assert parse_now("2025-11-28T08:00") == datetime(2025, 11, 28, 8, 0, tzinfo=vn)  # naive = local time
    assert parse_now("2025-11-28 08:00:00+07:00") == datetime(2025, 11, 28, 8, 0, tzinfo=vn)
    assert parse_now("2025-11-28T01:00:00Z") == datetime(2025, 11, 28, 8, 0, tzinfo=vn)
    assert parse_now(None).tzinfo is not None
    for bad in ("ngày mai", "28/11/2025", "2025-13-01T08:00"):
        with pytest.raises(ValueError, match="ISO-8601"):
            parse_now(bad)
