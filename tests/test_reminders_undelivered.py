"""Issue 14, item 2: an answer that proves a reminder was *not* delivered (429) is recorded before the
bot waits, so a SIGKILL during the wait does not lose that reminder.

A real ``directive-bot reminders run-due`` process sends to a fake Bot API server that lets one
message through per minute (the next one is answered 429, retry after 60 s); while the bot waits out
the 429 it is killed with SIGKILL; a second run against a normal server delivers what was left.
Every recipient gets exactly one reminder. (Before the fix the 429'd row stayed ``sending``, was
presumed delivered after the crash and never sent.)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.storage.models import Delivery
from tests.fakes.reminders import make_db, seed
from tests.fakes.telegram_server import FakeTelegramServer

ROOT = Path(__file__).resolve().parent.parent
NOW = "2024-11-27T08:00:00+07:00"  # the "before-3" reminder of the 2024 unit reports


def _statuses(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        T = Delivery.__table__  # type: ignore[attr-defined]
        return dict(conn.execute(select(T.c.status, func.count()).group_by(T.c.status)).all())  # type: ignore[arg-type]


async def _run_due(url: str, server: FakeTelegramServer, tmp: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "BOT_"))}
    env.update(
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_API_URL=server.api_root,
        TELEGRAM_RATE_LIMIT="30",
        FILES_DIR=str(tmp / "files"),
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "reminders",
        "run-due",
        "--now",
        NOW,
        env=env,
        cwd=str(tmp),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


@pytest.mark.slow
async def test_sigkill_while_waiting_out_a_429_then_rerun_delivers_every_reminder(
    db_url: str, tmp_path: Path
) -> None:
    engine = make_db(db_url)
    seeded = seed(engine, n_units=2, members_per_unit=3, office_members=0)  # 3 recipients, no digest
    members = seeded.all_members()
    strict = FakeTelegramServer(rate=1, rate_window=60.0, per_chat_rate=50, per_chat_window=1.0)
    normal = FakeTelegramServer(rate=1000, per_chat_rate=50, per_chat_window=1.0)
    await strict.start()
    await normal.start()
    try:
        for m in members:
            strict.add_user(m)
            normal.add_user(m)
        proc = await _run_due(db_url, strict, tmp_path)
        try:
            # Wait for a 429 and for the ledger to show nothing in flight: the 429'd reminder went
            # back to "claimed" while the bot waits out retry_after (60 s).
            recorded = False
            for _ in range(1200):  # up to 60 s: a loaded machine starts the subprocess slowly
                await asyncio.sleep(0.05)
                st = _statuses(engine)
                if strict.count_429 >= 1 and st.get("claimed", 0) >= 1 and not st.get("sending"):
                    recorded = True
                    break
            statuses_at_kill = _statuses(engine)
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        assert strict.count_429 >= 1
        assert recorded, f"the 429 was not recorded before waiting: {statuses_at_kill}"
        delivered_first = {m for m in members if strict.texts(m)}
        assert 1 <= len(delivered_first) < len(members)

        rerun = await _run_due(db_url, normal, tmp_path)
        assert await asyncio.wait_for(rerun.wait(), timeout=120) == 0
        received = {m: len(strict.texts(m)) + len(normal.texts(m)) for m in members}
        assert received == {m: 1 for m in members}, received  # none lost, none doubled
        final = _statuses(engine)
        assert final.get("sent") == len(members) and not final.get("unknown"), final
    finally:
        await strict.stop()
        await normal.stop()
        engine.dispose()
