"""Conversation-core throughput: N users each fill /baocao concurrently (10 messages each) through
``app.dispatcher``, on SQLite and (if reachable) PostgreSQL.  Prints messages/s, per-message latency
p50/p99 and the number of submissions stored (must equal N).

    .venv/bin/python bench/bench_conversation.py [--users 50] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app
from bot.config import Settings
from bot.messages import Incoming

ANSWERS = ["2024", "5", "Mô hình tự quản", "Giảm vụ việc", "skip", "skip", "150 triệu", "skip", "ok"]


async def run(url: str, users: int) -> None:
    tmp = tempfile.mkdtemp()
    app = build_app(Settings(database_url=url, files_dir=f"{tmp}/files"))
    store = app.store
    units = store.list_units()
    for i in range(users):
        u = store.touch_user("console", f"b{i}", f"b{i}")
        m = store.request_membership(u.id, units[i % len(units)].id)
        store.decide_membership(m.id, True, "bench")
    latencies: list[float] = []

    async def send(user: str, value: str) -> None:
        is_choice = value in ("skip", "ok")
        msg = Incoming(
            "console", user, user, text=None if is_choice else value, choice=value if is_choice else None
        )
        t0 = time.perf_counter()
        await app.dispatcher.handle(msg)
        latencies.append(time.perf_counter() - t0)

    async def journey(i: int) -> None:
        await send(f"b{i}", "/baocao")
        for a in ANSWERS:
            await send(f"b{i}", a)

    t0 = time.perf_counter()
    await asyncio.gather(*(journey(i) for i in range(users)))
    wall = time.perf_counter() - t0
    stored = len(store.submissions(year=2024))
    q = statistics.quantiles(latencies, n=100)
    backend = url.split(":", 1)[0]
    print(
        f"{backend:>22}: {users} users x {len(ANSWERS) + 1} messages in {wall:.2f}s "
        f"= {len(latencies) / wall:.0f} msg/s; latency p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms; "
        f"stored {stored}/{users}"
    )
    app.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        asyncio.run(run(f"sqlite:///{d}/bench.db", args.users))
    try:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        conninfo = args.pg.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=3) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:
        print(f"PostgreSQL skipped: {exc}")
        return
    try:
        asyncio.run(run(f"{args.pg}?options=-csearch_path%3D{schema}", args.users))
    finally:
        with psycopg.connect(conninfo, autocommit=True) as c:
            c.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
