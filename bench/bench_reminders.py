"""Reminder fan-out throughput: N reminders to a local Bot API server that enforces R messages/s.

    .venv/bin/python bench/bench_reminders.py [--count 3000] [--rate 300] [--database-url URL]

The whole production path runs: the ledger (claim, 'sending' mark, result) on a real
database, the outbox with the channel's rate limit, python-telegram-bot's Bot through
the Telegram adapter's sender, HTTP to :class:`tests.fakes.telegram_server.FakeTelegramServer`
on 127.0.0.1 with ``rate`` messages per sliding second (more is answered 429). The server
runs in its own process (as a real API would), so it does not share the bot's CPU.

Prints the elapsed time (the floor is count/rate seconds: 10 s for 3,000 at 300/s),
lost and duplicated counts, 429 answers, and checks that a second run sends nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.reminders import ledger, obligations  # noqa: E402
from bot.reminders.service import ReminderService  # noqa: E402
from bot.storage.models import Membership  # noqa: E402
from tests.fakes.reminders import make_db, seed, telegram_outbox  # noqa: E402
from tests.fakes.telegram_server import FakeTelegramServer  # noqa: E402

NOW = datetime(2024, 11, 27, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # before-3 of the 2024 reports


def _serve(conn: Any, ids: list[int], rate: int) -> None:
    """Child process: the fake Bot API server; on request, report what each chat received."""

    async def run() -> None:
        server = FakeTelegramServer(rate=rate, rate_window=1.0, per_chat_rate=3, per_chat_window=3.0)
        await server.start()
        for i in ids:
            server.add_user(i)
        conn.send((server.api_root, server.token))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        conn.send(({c: len(v) for c, v in server.sent.items()}, server.count_429, time.process_time()))
        await server.stop()

    asyncio.run(run())


async def bench(count: int, rate: int, url: str, concurrency: int) -> int:
    per_unit = 10
    units = -(-count // per_unit)
    engine = make_db(url)
    # The first unit is the standing office, with no member: no digest, exactly `count` unit reminders.
    seeded = seed(engine, n_units=units + 1, members_per_unit=per_unit, office_members=0)
    members = seeded.all_members()[:count]
    extra = seeded.all_members()[count:]
    if extra:  # count not a multiple of 10: drop the surplus members' memberships
        with engine.begin() as conn:
            ids = [seeded.user_ids[m] for m in extra]
            conn.execute(delete(Membership).where(Membership.user_id.in_(ids)))  # type: ignore[attr-defined]
    engine.dispose()
    parent, child = mp.get_context("fork").Pipe()
    proc = mp.get_context("fork").Process(target=_serve, args=(child, members, rate), daemon=True)
    proc.start()
    api_root, token = parent.recv()
    server = SimpleNamespace(api_root=api_root, token=token)
    try:
        async with telegram_outbox(server, rate=rate) as outbox:
            svc = ReminderService(
                engine, outbox, obligations.load(), clock=lambda: datetime.now(UTC), concurrency=concurrency
            )
            t_plan = time.perf_counter()
            planned = await asyncio.to_thread(svc.due, NOW)
            t_plan = time.perf_counter() - t_plan
            t0 = time.perf_counter()
            c0 = time.process_time()
            report = await svc.run_due(NOW)
            elapsed = time.perf_counter() - t0
            cpu = time.process_time() - c0
            again = await svc.run_due(NOW)
        parent.send("report")
        counts, n429, server_cpu = parent.recv()
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
    received = Counter({m: counts.get(m, 0) for m in members})
    lost = sum(1 for m in members if received[m] == 0)
    duplicated = sum(n - 1 for n in received.values() if n > 1)
    floor = count / rate
    print(f"database            : {engine.dialect.name}")
    print(f"reminders due       : {report.due}   (computing them alone: {t_plan:.2f} s, {len(planned)})")
    print(f"sent (ledger)       : {report.sent}  blocked {report.blocked}  failed {report.failed}")
    print(
        f"elapsed             : {elapsed:.2f} s   (floor {floor:.1f} s at {rate} msg/s; target <= "
        f"{floor * 1.1:.1f} s)"
    )
    print(f"throughput          : {report.sent / elapsed:.1f} msg/s   (bot process CPU {cpu:.1f} s)")
    print(f"server process CPU  : {server_cpu:.1f} s (whole life, incl. start-up)")
    print(f"lost                : {lost}")
    print(f"duplicated          : {duplicated}")
    print(f"429 answers         : {n429}")
    print(f"second run sent     : {again.sent}")
    print(f"ledger              : {ledger.counts(engine)}")
    engine.dispose()
    ok = lost == 0 and duplicated == 0 and again.sent == 0 and report.sent == count
    print("RESULT              :", "OK" if ok else "FAILED")
    return 0 if ok else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=3000)
    p.add_argument("--rate", type=int, default=300, help="messages per second the server allows")
    p.add_argument("--database-url", default="", help="default: a fresh SQLite file in a temp folder")
    p.add_argument("--concurrency", type=int, default=16, help="send_many workers")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        return asyncio.run(bench(args.count, args.rate, url, args.concurrency))


if __name__ == "__main__":
    sys.exit(main())
