"""How often does a SIGKILL in the middle of ``reminders run-due`` lose or duplicate a reminder?

    .venv/bin/python bench/bench_reminders_sigkill.py [--trials 20] [--recipients 150] [--rate 30]

Each trial: a fresh SQLite database, ``directive-bot reminders run-due --now ...`` as a
subprocess against the strict fake Bot API server (in this process), SIGKILL at a random
instant of the fan-out (uniform over its expected duration), then a second run to
completion. Counts, per trial, recipients with 0 messages (lost), with 2+ (duplicated),
and ledger rows left ``unknown``. The ledger's design (see bot/reminders/ledger.py):
never duplicate; a row marked ``sending`` when the process died is presumed delivered,
so a kill between that commit and the request leaving the process loses one reminder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bot.storage.models import Delivery  # noqa: E402
from tests.fakes.reminders import make_db, seed  # noqa: E402
from tests.fakes.telegram_server import FakeTelegramServer  # noqa: E402

NOW = "2024-11-27T08:00:00+07:00"


async def trial(n: int, recipients: int, rate: int, rng: random.Random) -> tuple[int, int, int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bot.db"
        engine = make_db(url)
        per_unit = 10
        seeded = seed(engine, n_units=recipients // per_unit + 1, members_per_unit=per_unit, office_members=0)
        members = seeded.all_members()
        server = FakeTelegramServer(rate=rate, per_chat_rate=3, per_chat_window=3.0)
        await server.start()
        try:
            for m in members:
                server.add_user(m)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "BOT_"))}
            env.update(
                DATABASE_URL=url,
                TELEGRAM_BOT_TOKEN=server.token,
                TELEGRAM_API_URL=server.api_root,
                TELEGRAM_RATE_LIMIT=str(rate),
                FILES_DIR=f"{tmp}/files",
                LOG_LEVEL="ERROR",
                PYTHONPATH=str(ROOT),
            )

            async def run() -> asyncio.subprocess.Process:
                return await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "reminders",
                    "run-due",
                    "--now",
                    NOW,
                    env=env,
                    cwd=tmp,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )

            proc = await run()
            while not any(server.sent.values()):  # wait for the fan-out to start
                await asyncio.sleep(0.01)
            fan_out = len(members) / rate
            delay = rng.uniform(0, fan_out * 0.9)
            await asyncio.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            proc = await run()
            await proc.wait()
            counts = [len(server.texts(m)) for m in members]
            with engine.connect() as conn:
                unknown = conn.execute(
                    select(func.count()).select_from(Delivery).where(Delivery.status == "unknown")
                ).scalar_one()
            engine.dispose()
            return sum(1 for c in counts if c == 0), sum(c - 1 for c in counts if c > 1), unknown, delay
        finally:
            await server.stop()


async def main_async(trials: int, recipients: int, rate: int, seed_value: int) -> int:
    rng = random.Random(seed_value)
    lost_total = dup_total = unknown_total = bad = 0
    for i in range(trials):
        lost, dup, unknown, delay = await trial(i, recipients, rate, rng)
        lost_total += lost
        dup_total += dup
        unknown_total += unknown
        bad += bool(lost or dup)
        print(
            f"trial {i + 1:3d}: kill after {delay:5.2f} s  lost {lost}  duplicated {dup}  "
            f"unknown rows {unknown}"
        )
    print(f"\n{trials} trials, {recipients} recipients each, {rate} msg/s")
    print(f"trials with a lost or duplicated reminder: {bad}")
    print(
        f"lost: {lost_total}  duplicated: {dup_total}  'unknown' rows (presumed delivered): {unknown_total}"
    )
    return 0 if dup_total == 0 else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--recipients", type=int, default=150)
    p.add_argument("--rate", type=int, default=30, help="TELEGRAM_RATE_LIMIT and the server's limit")
    p.add_argument("--seed", type=int, default=5500)
    args = p.parse_args()
    return asyncio.run(main_async(args.trials, args.recipients, args.rate, args.seed))


if __name__ == "__main__":
    sys.exit(main())
