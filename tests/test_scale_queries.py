"""No N+1: the overview, export and reminder computation cost the same number of SQL statements
whatever the number of units (issue 13). The figures at 700 units / 100,000 users are the bench's
(``bench/bench_scale.py``); here a small province grows by 30 units and the counts must not move."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from bench.province import generate
from bot.app import build_app
from bot.export import export, overview
from bot.messages import Incoming
from bot.reminders import obligations
from bot.reminders.policy import slots_for
from bot.reminders.service import ReminderService
from bot.storage import queries
from tests.conftest import ADMIN
from tests.fakes.reminders import make_db

ADMIN_KEY = f"console:{ADMIN}"


def _instant() -> Any:
    obs = obligations.load()
    slots = slots_for(obs.unit_report.default_due_date(2025), obs.policy)
    return next(s.at for s in slots if s.kind.startswith("before-3"))


@pytest.fixture
def province(settings: Any, pack: Any, qa_engine: Any) -> Iterator[tuple[Any, str]]:
    engine = make_db(settings.database_url)
    stats = generate(engine, units=10, users=40, current_year_share=0.5, office_members=2)
    engine.dispose()
    now = _instant()
    app = build_app(settings, clock=lambda: now, pack=pack, qa=qa_engine)
    try:
        yield app, stats.member_keys[1]
    finally:
        app.close()


class Counter:
    def __init__(self, engine: Any) -> None:
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, *_a: Any) -> None:
        self.n += 1


async def _statements(app: Any, member: str) -> dict[str, int]:
    counter = Counter(app.engine)
    out: dict[str, int] = {}

    async def command(name: str, key: str, text: str) -> None:
        channel, ext = key.split(":", 1)
        await app.dispatcher.handle(Incoming(channel, ext, ext, text=text))  # warm (user row, caches)
        n0 = counter.n
        replies = await app.dispatcher.handle(Incoming(channel, ext, ext, text=text))
        assert replies and replies[0].text
        out[name] = counter.n - n0

    await command("trangthai", ADMIN_KEY, "/trangthai 2024")
    await command("tonghop", ADMIN_KEY, "/tonghop 2024")
    await command("xuatbaocao", ADMIN_KEY, "/xuatbaocao 2024")
    await command("nhacnho", member, "/nhacnho")
    n0 = counter.n
    await asyncio.to_thread(export, app, 2024, "csv")
    out["export"] = counter.n - n0
    svc = ReminderService(app.engine, app.outbox, obligations.load(), clock=app.clock, channels={"telegram"})
    n0 = counter.n
    due = await asyncio.to_thread(svc.due, _instant())
    out["reminders_due"] = counter.n - n0
    out["_due_messages"] = len(due)
    return out


def _grow(app: Any, n_units: int) -> None:
    """``n_units`` more units, each with two approved Telegram members; half reported for 2024."""
    store = app.store
    for i in range(n_units):
        unit = store.add_unit(f"UBND xã Thêm {i + 1}", "district", ADMIN_KEY)
        for j in range(2):
            user = store.touch_user("telegram", str(500_000 + 10 * i + j), str(500_000 + 10 * i + j))
            store.request_membership(user.id, unit.id, approved_by=ADMIN_KEY)
        if i % 2 == 0:
            store.submit(unit_id=unit.id, year=2024, answers={"models_count": 1}, user_id=user.id, actor="t")


async def test_statement_counts_do_not_grow_with_units(province: tuple[Any, str]) -> None:
    app, member = province
    small = await _statements(app, member)
    units_before = len(overview(app.store, 2024))
    await asyncio.to_thread(_grow, app, 30)
    large = await _statements(app, member)
    assert len(overview(app.store, 2024)) == units_before + 30
    assert large.pop("_due_messages") > small.pop("_due_messages")  # the new members are reminded
    # Once an overview is long enough to be paged, its reply carries page choices, which the dialog state
    # stores (one more statement than clearing it): a constant, whatever the number of units beyond that.
    assert all(abs(large[k] - small[k]) <= 1 for k in small) and large.keys() == small.keys(), (small, large)
    # export: the overview, plus the due date in force and the first submission times for "nộp muộn"
    # (issue 15 item 5): a constant 3
    assert small["export"] <= 3 and small["trangthai"] <= 8, small


def test_overview_rows_latest_version_and_submitter(province: tuple[Any, str]) -> None:
    app, _member = province
    rows = overview(app.store, 2024)
    by_version = {}
    for sub in app.store.submissions(year=2024):
        by_version[sub.unit_id] = max(by_version.get(sub.unit_id, 0), sub.version)
    assert {r.unit.id: r.submission.version for r in rows if r.submission} == by_version
    for r in rows:
        if r.submission is not None:
            assert r.submitter is not None and r.submitter.id == r.submission.submitted_by_user_id
    summary = queries.overview_summary(app.engine, 2024)
    assert summary.total == len(rows) and summary.submitted == sum(1 for r in rows if r.submitted)
    assert sum(c.total for c in summary.categories) == summary.total
