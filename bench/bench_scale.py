"""Province scale: every command's latency and SQL statement count at N units and M users.

    .venv/bin/python bench/bench_scale.py --units 700 --users 100000 [--database-url URL]
        [--runs 10] [--skip-fanout]

A synthetic province (:mod:`bench.province`) is written into a fresh SQLite file, or a
fresh schema of the PostgreSQL database at ``--database-url`` (dropped afterwards).
Then, through the real dispatcher (``app.dispatcher.handle``) on the real database:

- each command's p50/p99 latency and SQL statement count (a SQLAlchemy
  ``before_cursor_execute`` listener: an ``executemany`` counts once), for a member
  (``/nhacnho``, ``/trangthai``, a question) and an admin (``/trangthai``, ``/tonghop``,
  ``/xuatbaocao`` of a year every unit reported, in 1–4 versions) and ``export`` (csv,
  json, xlsx, as ``directive-bot export`` runs it);
- the p99 of ordinary questions (different members, one after another) while 6 admins
  run heavy commands in a loop;
- the time to compute the reminders due at the 2025 "before-3" slot (one per member of
  every unit that has not reported: about ``users`` messages);
- the time to claim one ledger row per user, as the fan-out claims them;
- the 3,000-reminder fan-out at 300 msg/s (``bench/bench_reminders.py`` in a
  subprocess on a fresh database of the same kind), unless ``--skip-fanout``.

The last line is one JSON object with every figure. The machine the figures come from
may be shared: run with ``nice -n 10`` and say so next to the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, event  # noqa: E402

from bench.province import generate  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from bot.reminders import ledger, obligations, targets  # noqa: E402
from bot.reminders.policy import slots_for  # noqa: E402
from bot.reminders.service import ReminderService  # noqa: E402
from bot.storage.models import Delivery  # noqa: E402

QUESTIONS = (
    "Kinh phí thực hiện lấy từ nguồn nào?",
    "Ai chủ trì tổng hợp báo cáo?",
    "Công văn 5500 do ai ký?",
    "Giai đoạn nhân rộng mô hình là những năm nào?",
    "Báo cáo gửi về đâu?",
)
HEAVY = (
    "/xuatbaocao 2024",
    "/tonghop 2024",
    "/trangthai 2024",
    "/xuatbaocao 2024",
    "/tonghop 2024",
    "/nhacnho",
)
ADMINS = [f"telegram:90000000{i}" for i in range(8)]


class StatementCounter:
    """Counts the SQL statements sent on one engine (cursor executions)."""

    def __init__(self, engine: Any) -> None:
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, *_args: Any) -> None:
        self.n += 1


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``; with few samples p99 is the maximum."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))]


def msg(key: str, text: str) -> Incoming:
    channel, ext = key.split(":", 1)
    return Incoming(channel, ext, ext, text=text)


def reminder_instant(obs: Any, year: int) -> datetime:
    """The 'before-3' reminder instant of ``year``'s unit reports (08:00 local)."""
    ob = obs.unit_report
    slots = slots_for(ob.default_due_date(year), obs.policy)
    return next(s.at for s in slots if s.kind.startswith("before-3"))


async def time_command(
    app: Any, counter: StatementCounter, key: str, text: str, runs: int, budget: float
) -> dict[str, Any]:
    """Latency (ms) and statements of one command: one warm-up, then ``runs`` runs or ``budget`` seconds."""
    await app.dispatcher.handle(msg(key, text))
    times: list[float] = []
    stmts: list[int] = []
    chars = 0
    start = time.perf_counter()
    while len(times) < runs and (len(times) < 3 or time.perf_counter() - start < budget):
        n0 = counter.n
        t0 = time.perf_counter()
        replies = await app.dispatcher.handle(msg(key, text))
        times.append((time.perf_counter() - t0) * 1000)
        stmts.append(counter.n - n0)
        chars = sum(len(r.text) for r in replies)
    return {
        "p50_ms": round(pct(times, 50), 1),
        "p99_ms": round(pct(times, 99), 1),
        "statements": max(stmts),
        "runs": len(times),
        "reply_chars": chars,
    }


def time_sync(counter: StatementCounter, fn: Callable[[], Any], runs: int, budget: float) -> dict[str, Any]:
    fn()
    times: list[float] = []
    stmts: list[int] = []
    start = time.perf_counter()
    while len(times) < runs and (len(times) < 3 or time.perf_counter() - start < budget):
        n0 = counter.n
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
        stmts.append(counter.n - n0)
    return {
        "p50_ms": round(pct(times, 50), 1),
        "p99_ms": round(pct(times, 99), 1),
        "statements": max(stmts),
        "runs": len(times),
    }


async def question_under_load(app: Any, members: list[str], questions: int) -> dict[str, Any]:
    """p99 of ordinary questions (one after another, different members) while 6 admins run heavy commands."""
    stop = asyncio.Event()
    heavy_done = 0

    async def heavy(i: int) -> None:
        nonlocal heavy_done
        while not stop.is_set():
            await app.dispatcher.handle(msg(ADMINS[i], HEAVY[i]))
            heavy_done += 1

    tasks = [asyncio.create_task(heavy(i)) for i in range(len(HEAVY))]
    await asyncio.sleep(0.5)  # let the heavy commands get going
    times: list[float] = []
    try:
        for i in range(questions):
            t0 = time.perf_counter()
            await app.dispatcher.handle(msg(members[i % len(members)], QUESTIONS[i % len(QUESTIONS)]))
            times.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "p50_ms": round(pct(times, 50), 1),
        "p99_ms": round(pct(times, 99), 1),
        "questions": len(times),
        "heavy_commands_completed": heavy_done,
    }


def claim_time(engine: Any, keys: list[str], year: int) -> dict[str, Any]:
    """Claim one ledger row per user as the fan-out does; the rows are deleted afterwards."""
    from bot.messages import Outgoing, Reply

    reply = Reply("bench")
    msgs = [
        targets.DueMessage(
            key=targets.ledger_key("bench-claim", year, k, "before-3"),
            obligation="bench-claim",
            year=year,
            recipient=k,
            kind="before-3",
            outgoing=Outgoing(k.split(":")[0], k.split(":")[1], reply, user_key=k),
            user_id=i + 1,
        )
        for i, k in enumerate(keys)
    ]
    now = datetime.now().astimezone()
    owner = ledger.new_owner("bench")
    t0 = time.perf_counter()
    got = 0
    for i in range(0, len(msgs), ledger.CLAIM_CHUNK):
        got += len(ledger.claim(engine, owner, msgs[i : i + ledger.CLAIM_CHUNK], now))
    seconds = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.execute(delete(Delivery.__table__).where(Delivery.__table__.c.obligation == "bench-claim"))  # type: ignore[attr-defined]
    return {"rows": len(msgs), "claimed": got, "seconds": round(seconds, 3)}


@contextmanager
def fresh_database(url: str, tmp: str, name: str) -> Iterator[str]:
    """A fresh SQLite file, or a fresh schema on the PostgreSQL server of ``url`` (dropped afterwards)."""
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{tmp}/{name}.db"
        return
    import psycopg

    from bot.storage.db import normalize_url

    url = normalize_url(url).split("?", 1)[0]
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as c:
            c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def fanout(url: str) -> dict[str, Any]:
    """``bench/bench_reminders.py --count 3000 --rate 300`` on ``url``; its figures parsed."""
    cmd = [sys.executable, str(ROOT / "bench" / "bench_reminders.py"), "--count", "3000", "--rate", "300"]
    if url:
        cmd += ["--database-url", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT).stdout

    def grab(label: str) -> float | None:
        m = re.search(rf"^{label}\s*:\s*([0-9.]+)", out, re.M)
        return float(m.group(1)) if m else None

    return {
        "elapsed_s": grab("elapsed"),
        "lost": grab("lost"),
        "duplicated": grab("duplicated"),
        "ok": "RESULT              : OK" in out,
    }


async def bench(args: argparse.Namespace, url: str, tmp: str) -> dict[str, Any]:
    from bot.storage.db import make_engine
    from bot.storage.migrations import upgrade
    from knowledge import load_pack

    pack = load_pack()
    obs = obligations.load()
    year = 2025
    now = reminder_instant(obs, year)
    engine = make_engine(url)
    upgrade(engine)
    stats = generate(engine, units=args.units, users=args.users, base_units=pack.units)
    print(
        f"province            : {stats.units} units ({stats.active_units} active), {stats.users} users, "
        f"{stats.memberships} memberships, {stats.submissions} submissions; written in {stats.seconds:.1f} s",
        flush=True,
    )
    if args.explain and engine.dialect.name == "postgresql":
        for name, plan in explain(engine).items():
            print(f"EXPLAIN {name:<18}: {plan}", flush=True)
    engine.dispose()
    settings = Settings(database_url=url, admins=frozenset(ADMINS), files_dir=f"{tmp}/files")
    app = build_app(settings, clock=lambda: now, pack=pack)
    counter = StatementCounter(app.engine)
    member, members = stats.member_keys[1], stats.member_keys[1:]
    admin = ADMINS[-1]
    runs, budget = args.runs, args.budget
    results: dict[str, Any] = {}
    commands = [
        ("nhacnho", member, "/nhacnho"),
        ("trangthai_member", member, "/trangthai"),
        ("question", member, QUESTIONS[0]),
        ("trangthai_admin", admin, "/trangthai 2024"),
        ("tonghop", admin, "/tonghop 2024"),
        ("xuatbaocao", admin, "/xuatbaocao 2024"),
        ("nhacnho_admin", admin, "/nhacnho"),
    ]
    only = set(args.sections.split(",")) if args.sections else None
    empty = {"p50_ms": None, "p99_ms": None, "statements": None, "runs": 0, "reply_chars": None}
    for name, key, text in commands:
        if only is not None and "commands" not in only:
            results[name] = dict(empty)
            continue
        results[name] = await time_command(app, counter, key, text, runs, budget)
        print(f"{name:<20}: {results[name]}", flush=True)
    from bot.export import export

    for fmt in ("csv", "json", "xlsx"):
        if only is not None and "export" not in only:
            results[f"export_{fmt}"] = dict(empty)
            continue
        results[f"export_{fmt}"] = await asyncio.to_thread(
            time_sync, counter, lambda f=fmt: export(app, 2024, f), runs, budget
        )
        print(f"{'export_' + fmt:<20}: {results['export_' + fmt]}", flush=True)
    results["question_under_load"] = {"p50_ms": None, "p99_ms": None}
    if only is None or "load" in only:
        results["question_under_load"] = await question_under_load(app, members, args.questions)
    print(f"{'question_under_load':<20}: {results['question_under_load']}", flush=True)

    svc = ReminderService(
        app.engine, app.outbox, obs, admins=ADMINS, clock=lambda: now, channels={"telegram", "zalo"}
    )
    n0 = counter.n
    t0 = time.perf_counter()
    due = await asyncio.to_thread(svc.due, now)
    due_s = time.perf_counter() - t0
    results["reminders_due"] = {
        "messages": len(due),
        "seconds": round(due_s, 3),
        "statements": counter.n - n0,
    }
    print(f"{'reminders_due':<20}: {results['reminders_due']}", flush=True)
    del due
    user_keys = [
        f"{'telegram' if uid % 10 < 7 else 'zalo'}:{100_000_000 + uid}" for uid in range(1, stats.users + 1)
    ]
    results["ledger_claim"] = await asyncio.to_thread(claim_time, app.engine, user_keys, year)
    print(f"{'ledger_claim':<20}: {results['ledger_claim']}", flush=True)
    app.close()
    results["stats"] = {k: v for k, v in vars(stats).items() if k != "member_keys"}
    return results


def explain(engine: Any) -> dict[str, str]:
    """EXPLAIN (PostgreSQL) of the lookups handlers and pages make, with literal parameters."""
    from sqlalchemy import func, select, text

    from bot.storage.models import Membership, Setting, Submission, Unit, User
    from bot.storage.queries import overview_statement, overview_summary  # noqa: F401

    U, S, M, P = (t.__table__ for t in (Unit, Submission, Membership, User))  # type: ignore[attr-defined]
    D, ST = Delivery.__table__, Setting.__table__  # type: ignore[attr-defined]
    stmts = {
        "overview": overview_statement(2024),
        "user_by_key": select(P).where(P.c.key == "telegram:100000001"),
        "approved_unit": select(U)
        .join(M, M.c.unit_id == U.c.id)
        .where(M.c.user_id == 1, M.c.status == "approved", U.c.active == True),  # noqa: E712
        "latest_submission": select(S)
        .where(S.c.unit_id == 5, S.c.year == 2024)
        .order_by(S.c.version.desc())
        .limit(1),
        "submitted_units": select(S.c.unit_id).where(S.c.year == 2025).distinct(),
        "max_version": select(func.max(S.c.version)).where(S.c.unit_id == 5, S.c.year == 2024),
        "ledger_by_key": select(D).where(D.c.key == "x"),
        "ledger_year": select(D.c.key).where(D.c.year == 2025),
        "ledger_release": select(D.c.id).where(D.c.owner == "o", D.c.status == "claimed"),
        "setting": select(ST).where(ST.c.key == "report.open_years"),
        "members_of_unit": select(P.c.id)
        .join(M, M.c.user_id == P.c.id)
        .where(M.c.unit_id == 5, M.c.status == "approved"),
    }
    out: dict[str, str] = {}
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        for name, stmt in stmts.items():
            sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
            plan = [r[0] for r in conn.execute(text("EXPLAIN " + sql))]
            out[name] = " | ".join(line.strip() for line in plan if "Scan" in line or "Join" in line)
    return out


def _max(*values: Any) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--units", type=int, default=700)
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument(
        "--database-url", default="", help="PostgreSQL server (a fresh schema is made); default SQLite"
    )
    p.add_argument("--runs", type=int, default=10, help="timed runs per command")
    p.add_argument("--budget", type=float, default=30.0, help="seconds per command at most (at least 3 runs)")
    p.add_argument("--questions", type=int, default=40, help="questions asked while the heavy commands run")
    p.add_argument("--skip-fanout", action="store_true")
    p.add_argument("--explain", action="store_true", help="print EXPLAIN of the main lookups (PostgreSQL)")
    p.add_argument("--sections", default="", help="comma list of commands,export,load (default: all)")
    args = p.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        with fresh_database(args.database_url, tmp, "scale") as url:
            print(f"database            : {url.split('?')[0].split('://')[0]}", flush=True)
            results = asyncio.run(bench(args, url, tmp))
        fan: dict[str, Any] = {}
        if not args.skip_fanout:
            with fresh_database(args.database_url, tmp, "fanout") as furl:
                fan = fanout(furl)
            print(f"{'fanout_3000':<20}: {fan}", flush=True)
    r = results
    summary = {
        "database": "postgresql" if args.database_url.startswith("postgres") else "sqlite",
        "units": r["stats"]["units"],
        "active_units": r["stats"]["active_units"],
        "users": r["stats"]["users"],
        "submissions": r["stats"]["submissions"],
        "nhacnho_p50_ms": r["nhacnho"]["p50_ms"],
        "nhacnho_p99_ms": r["nhacnho"]["p99_ms"],
        "nhacnho_statements": r["nhacnho"]["statements"],
        "trangthai_member_p99_ms": r["trangthai_member"]["p99_ms"],
        "question_p99_ms": r["question"]["p99_ms"],
        "overview_p99_ms": _max(r["trangthai_admin"]["p99_ms"], r["tonghop"]["p99_ms"]),
        "overview_statements": _max(r["trangthai_admin"]["statements"], r["tonghop"]["statements"]),
        "trangthai_admin_p99_ms": r["trangthai_admin"]["p99_ms"],
        "trangthai_admin_reply_chars": r["trangthai_admin"]["reply_chars"],
        "tonghop_p99_ms": r["tonghop"]["p99_ms"],
        "tonghop_reply_chars": r["tonghop"]["reply_chars"],
        "xuatbaocao_p99_ms": r["xuatbaocao"]["p99_ms"],
        "xuatbaocao_statements": r["xuatbaocao"]["statements"],
        "export_p99_ms": _max(*(r[f"export_{f}"]["p99_ms"] for f in ("csv", "json", "xlsx"))),
        "export_statements": _max(*(r[f"export_{f}"]["statements"] for f in ("csv", "json", "xlsx"))),
        "export_csv_p99_ms": r["export_csv"]["p99_ms"],
        "export_xlsx_p99_ms": r["export_xlsx"]["p99_ms"],
        "question_p99_under_load_ms": r["question_under_load"]["p99_ms"],
        "reminders_due_s": r["reminders_due"]["seconds"],
        "reminders_due_messages": r["reminders_due"]["messages"],
        "reminders_due_statements": r["reminders_due"]["statements"],
        "ledger_claim_s": r["ledger_claim"]["seconds"],
        "ledger_claim_rows": r["ledger_claim"]["rows"],
        "fanout_3000_s": fan.get("elapsed_s"),
        "fanout_lost": fan.get("lost"),
        "fanout_duplicated": fan.get("duplicated"),
        "nice": os.nice(0),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
