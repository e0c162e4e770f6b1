"""Large admin overviews in chat are paged (issue 13): a summary, "Trang 1/N", choices for the next page
and for each category, the full list as a CSV file; and bot/storage/executor.py's bounded pools."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bench.province import generate
from bot.app import build_app
from bot.messages import Incoming
from bot.overview_pages import paginate, parse_view
from bot.storage.executor import QUEUE_FULL_TEXT, Busy, DBExecutor, PoolSizes
from tests.conftest import ADMIN
from tests.fakes.reminders import make_db


@pytest.fixture
def big(sqlite_url: str, settings: Any, pack: Any, qa_engine: Any, clock: Any) -> Iterator[Any]:
    settings = dataclasses.replace(settings, database_url=sqlite_url)
    engine = make_db(sqlite_url)
    generate(engine, units=150, users=300, base_units=pack.units)
    engine.dispose()
    app = build_app(settings, clock=clock, pack=pack, qa=qa_engine)
    try:
        yield app
    finally:
        app.close()


async def ask(app: Any, text: str | None = None, choice: str | None = None) -> Any:
    replies = await app.dispatcher.handle(Incoming("console", ADMIN, ADMIN, text=text, choice=choice))
    assert len(replies) == 1
    return replies[0]


@pytest.mark.parametrize("command", ["trangthai", "tonghop"])
async def test_a_province_overview_is_paged_with_choices_and_the_full_list_as_a_file(
    big: Any, command: str
) -> None:
    first = await ask(big, f"/{command} 2024")
    assert "Trang 1/" in first.text and len(first.text) < 4096
    pages = int(first.text.split("Trang 1/")[1].split(":")[0])
    assert pages > 1
    nxt = next(c for c in first.choices if c.value == f"/{command} 2024 trang 2")
    (file,) = first.files
    rows = list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"))))
    assert len(rows) - 1 == len(big.store.list_units())  # every active unit, one row each
    second = await ask(big, choice=nxt.value)
    assert f"Trang 2/{pages}:" in second.text and not second.files
    assert any(c.value == f"/{command} 2024 trang 1" for c in second.choices)
    assert first.text.split("Trang 1/")[1] != second.text.split("Trang 2/")[1]
    # every unit name appears on exactly one page of the full walk (tonghop lists the missing ones too)
    seen = []
    for p in range(1, pages + 1):
        text = (await ask(big, f"/{command} 2024 trang {p}")).text
        seen.append(text.split(f"Trang {p}/{pages}:", 1)[1])
    body = "\n".join(seen)
    for unit in big.store.list_units()[:60]:
        assert f" {unit.name}" in body
    media = await ask(big, f"/{command} 2024 nhom media")
    assert media.text.startswith(f"Nhóm: {big.category_label('media')}\n")
    assert any(c.value == f"/{command} 2024" for c in media.choices)


async def test_bad_arguments_get_the_syntax(big: Any) -> None:
    reply = await ask(big, "/trangthai 20x4")
    assert reply.text.startswith("Cú pháp: /trangthai")


def test_parse_view_and_paginate() -> None:
    view = parse_view("2023 nhóm district trang 3", 2025, "trangthai")
    assert not isinstance(view, str) and (view.year, view.category, view.page) == (2023, "district", 3)
    assert isinstance(parse_view("trang", 2025, "trangthai"), str)
    pages = paginate([f"dòng {i}" for i in range(95)], max_lines=30)
    assert [len(p) for p in pages] == [30, 30, 30, 5]
    assert all(len("\n".join(p)) <= 300 for p in paginate(["x" * 40] * 50, chars=300))


async def test_light_jobs_do_not_wait_for_heavy_ones_and_deadlines_say_so() -> None:
    db = DBExecutor(PoolSizes(light_workers=2, heavy_workers=1, heavy_queue=2))
    gate = threading.Event()
    started: list[int] = []

    def blocked(i: int) -> int:
        started.append(i)
        gate.wait(10)
        return i

    try:
        heavy = [asyncio.create_task(db.run(blocked, i, heavy=True)) for i in range(2)]
        late = asyncio.create_task(db.run(blocked, 3, heavy=True, timeout=0.2))
        await asyncio.sleep(0.05)
        with pytest.raises(Busy) as full:  # one running + two queued: the next is refused at once
            await db.run(blocked, 9, heavy=True)
        assert full.value.text == QUEUE_FULL_TEXT
        assert await asyncio.wait_for(db.run(lambda: "nhẹ"), 5) == "nhẹ"  # heavy pool is full
        with pytest.raises(Busy) as slow:
            await late
        assert "chưa xử lý xong" in slow.value.text
        gate.set()
        assert await asyncio.gather(*heavy) == [0, 1]
        await asyncio.sleep(0.05)
        assert 3 not in started  # timed out while queued: never ran
    finally:
        gate.set()
        db.close()


async def test_a_deadline_passed_is_a_vietnamese_reply_not_an_error(
    settings: Any, pack: Any, qa_engine: Any, clock: Any
) -> None:
    app = build_app(dataclasses.replace(settings, db_heavy_timeout=0.3), clock=clock, pack=pack, qa=qa_engine)
    gate = threading.Event()
    try:  # the one heavy worker is busy: /tonghop waits in the queue past its deadline
        blocker = asyncio.create_task(app.db.run(gate.wait, 10, heavy=True, timeout=10))
        await asyncio.sleep(0.05)
        reply = await ask(app, "/tonghop 2024")
        assert "Hệ thống đang bận" in reply.text
        gate.set()
        await blocker
        assert "TỔNG HỢP KẾT QUẢ NĂM 2024" in (await ask(app, "/tonghop 2024")).text  # free again
    finally:
        gate.set()
        app.close()
