"""Page render time of the web pages at province scale, on SQLite and PostgreSQL.

    python bench/bench_web.py [--units 700] [--users 7000] [--runs 50] [--database-url postgresql://…]

A synthetic province (``bench/province.py``: ``--units`` units, five years, 1–4 versions per unit
and year, about 2.5 on average) is written to a fresh database; the pages are served over real HTTP
(aiohttp on 127.0.0.1) to a signed-in client. For the overview (a complete year and the current,
mostly missing year), the unit list and a unit's page it prints p50/p99 in milliseconds and the SQL
statements per request (which must not depend on the number of units). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.bench_scale import fresh_database  # noqa: E402
from bench.province import generate  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(client: Any, engine: Any, path: str, runs: int) -> dict[str, Any]:
    count = 0

    def on(*_a: Any) -> None:
        nonlocal count
        count += 1

    r = await client.get(path)  # warm (template compile, settings cache)
    assert r.status == 200, (path, r.status)
    await r.read()
    times: list[float] = []
    counts: list[int] = []
    event.listen(engine, "before_cursor_execute", on)
    try:
        for _ in range(runs):
            count = 0
            t0 = time.perf_counter()
            r = await client.get(path)
            body = await r.read()
            times.append((time.perf_counter() - t0) * 1000)
            counts.append(count)
            assert r.status == 200 and body
    finally:
        event.remove(engine, "before_cursor_execute", on)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(pct(times, 99), 1),
        "statements": max(counts),
        "kb": round(len(body) / 1024),
    }


async def bench(url: str, args: argparse.Namespace, tmp: str) -> dict[str, Any]:
    from bot.storage.db import make_engine
    from bot.storage.migrations import upgrade
    from knowledge import load_pack
    from tests.web_helpers import client_for, sign_in

    pack = load_pack()
    engine = make_engine(url)
    upgrade(engine)
    stats = generate(
        engine, units=args.units, users=args.users, base_units=pack.units, current_year_share=0.5
    )
    engine.dispose()
    print(
        f"province : {stats.units} units, {stats.users} users, {stats.submissions} submissions "
        f"({stats.seconds:.1f} s)",
        flush=True,
    )
    app = build_app(Settings(database_url=url, files_dir=f"{tmp}/files"), pack=pack)
    client = await client_for(app)
    try:
        await sign_in(client, app)
        unit_id = max(u.id for u in app.store.list_units())
        pages = {
            "overview_2024": "/web/?year=2024",
            "overview_2025": "/web/?year=2025",
            "units_2024": "/web/units?year=2024",
            "unit_page": f"/web/units/{unit_id}?year=2024",
        }
        out: dict[str, Any] = {"database": engine.dialect.name, "units": stats.units}
        for name, path in pages.items():
            out[name] = await measure(client, app.engine, path, args.runs)
            print(f"{name:<14}: {out[name]}", flush=True)
        return out
    finally:
        await client.close()
        app.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=700)
    parser.add_argument("--users", type=int, default=7000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default="", help="PostgreSQL server (a fresh schema is used)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.database_url, tmp, "web") as url:
        result = asyncio.run(bench(url, args, tmp))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
