"""Repositories against a real SQLite file and the real PostgreSQL server."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from bot.storage import migrations
from bot.storage.db import make_engine
from bot.storage.models import Submission
from bot.store import Store, StoreError, as_utc, normalize_invite_code
from knowledge.pack import Unit as PackUnit
from tests.fakes.chat import FakeClock

UNITS = [
    PackUnit("Sở Y tế", "department"),
    PackUnit("Sở Tài chính", "department", ("STC",)),
    PackUnit("UBND huyện Ba Tơ", "district", ("Ba Tơ",)),
    PackUnit("Công an tỉnh", "armed_forces", standing_office=True),
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(db_url: str, clock: FakeClock) -> Any:
    engine = make_engine(db_url)
    migrations.upgrade(engine)
    s = Store(engine, clock=clock)
    s.seed_units(UNITS)
    yield s
    engine.dispose()


def unit_id(store: Store, name: str) -> int:
    u = store.unit_by_name(name)
    assert u is not None and u.id is not None
    return u.id


def test_users_get_or_create_touch_and_inactive(store: Store, clock: FakeClock) -> None:
    u1 = store.touch_user("telegram", "42", "42", "Lan")
    clock.advance(minutes=5)
    u2 = store.touch_user("telegram", "42", "4242", "Lan Nguyễn")
    assert u1.id == u2.id and u2.key == "telegram:42"
    assert u2.chat_id == "4242" and u2.display_name == "Lan Nguyễn"
    assert as_utc(u2.last_seen_at) == clock()
    assert store.mark_inactive("telegram:42") is True
    assert store.get_user("telegram:42").active is False
    assert store.mark_inactive("telegram:nobody") is False
    # Writing to the bot again means they unblocked it.
    assert store.touch_user("telegram", "42", "4242").active is True


def test_units_seeded_once_and_retired_units_hidden(store: Store) -> None:
    assert store.seed_units(UNITS) == 0
    assert [u.name for u in store.list_units()] == [u.name for u in UNITS]
    ba_to = store.unit_by_name("UBND huyện Ba Tơ")
    assert ba_to.aliases == ["Ba Tơ"] and ba_to.category == "district"
    store.retire_unit(ba_to.id, "console:admin")
    assert "UBND huyện Ba Tơ" not in [u.name for u in store.list_units()]
    assert len(store.list_units(active_only=False)) == 4
    # Seeding again does not resurrect a retired unit.
    store.seed_units(UNITS)
    assert not store.unit_by_name("UBND huyện Ba Tơ").active
    added = store.add_unit("  Sở   Ngoại vụ ", "department", "console:admin")
    assert added.name == "Sở Ngoại vụ"
    with pytest.raises(StoreError):
        store.add_unit("Sở Ngoại vụ", "department", "console:admin")
    for bad in ("😀😀", " - . ", "x" * 201):
        with pytest.raises(StoreError, match="Tên đơn vị"):
            store.add_unit(bad, "department", "console:admin")
    assert [e.action for e in store.audit_entries()] == ["unit.retire", "unit.add"]


def test_membership_one_unit_at_a_time(store: Store) -> None:
    user = store.touch_user("console", "lan", "lan")
    m1 = store.request_membership(user.id, unit_id(store, "Sở Y tế"))
    assert m1.status == "pending"
    assert store.approved_unit(user.id) is None
    store.decide_membership(m1.id, True, "console:admin")
    assert store.approved_unit(user.id).name == "Sở Y tế"
    with pytest.raises(StoreError):
        store.decide_membership(m1.id, False, "console:admin")  # already decided
    # Changing unit: the old membership ends, the new one waits for approval.
    m2 = store.request_membership(user.id, unit_id(store, "Sở Tài chính"))
    assert store.approved_unit(user.id) is None
    assert store.current_membership(user.id).id == m2.id
    pending = store.pending_requests()
    assert [(m.id, u.key, un.name) for m, u, un in pending] == [(m2.id, "console:lan", "Sở Tài chính")]
    store.decide_membership(m2.id, False, "console:admin")
    assert store.current_membership(user.id) is None
    actions = [e.action for e in store.audit_entries()]
    assert actions == ["membership.approve", "membership.reject"]


def test_members_only_approved_active_users_of_active_units(store: Store) -> None:
    a = store.touch_user("console", "a", "a")
    b = store.touch_user("zalo", "b", "b")
    c = store.touch_user("console", "c", "c")
    for user, unit in ((a, "Sở Y tế"), (b, "UBND huyện Ba Tơ"), (c, "Sở Y tế")):
        m = store.request_membership(user.id, unit_id(store, unit))
        if user is not c:
            store.decide_membership(m.id, True, "x")
    assert {u.key for u, _ in store.members()} == {"console:a", "zalo:b"}
    store.mark_inactive("zalo:b")
    assert {u.key for u, _ in store.members()} == {"console:a"}
    assert {u.key for u, _ in store.members(active_only=False)} == {"console:a", "zalo:b"}
    store.retire_unit(unit_id(store, "Sở Y tế"), "x")
    assert store.members() == []


def test_invites_single_use_and_expire(store: Store, clock: FakeClock) -> None:
    inv = store.create_invite(unit_id(store, "Sở Y tế"), "console:admin", ttl=timedelta(days=1))
    assert normalize_invite_code(inv.code.lower()[:4] + "-" + inv.code[4:]) == inv.code
    u1 = store.touch_user("console", "u1", "u1")
    u2 = store.touch_user("console", "u2", "u2")
    m = store.redeem_invite(inv.code, u1.id)
    assert m.status == "approved" and store.approved_unit(u1.id).name == "Sở Y tế"
    with pytest.raises(StoreError, match="đã được dùng"):
        store.redeem_invite(inv.code, u2.id)
    inv2 = store.create_invite(unit_id(store, "Sở Tài chính"), "console:admin", ttl=timedelta(days=1))
    clock.advance(days=1, seconds=1)
    with pytest.raises(StoreError, match="hết hạn"):
        store.redeem_invite(inv2.code, u2.id)
    with pytest.raises(StoreError, match="không đúng"):
        store.redeem_invite("ZZZZZZZZ", u2.id)
    assert store.approved_unit(u2.id) is None


def test_invite_redeemed_concurrently_only_once(store: Store) -> None:
    inv = store.create_invite(unit_id(store, "Sở Y tế"), "console:admin")
    users = [store.touch_user("console", f"r{i}", f"r{i}") for i in range(8)]
    barrier = threading.Barrier(len(users))

    def redeem(user: Any) -> bool:
        barrier.wait()
        try:
            store.redeem_invite(inv.code, user.id)
            return True
        except StoreError:
            return False

    with ThreadPoolExecutor(len(users)) as pool:
        results = list(pool.map(redeem, users))
    assert results.count(True) == 1


def test_dialog_state_upsert_and_clear(store: Store) -> None:
    assert store.get_state("console:x") is None
    store.save_state("console:x", "report", "year", {"answers": {}})
    store.save_state("console:x", "report", "models_count", {"answers": {"year": 2024}})
    row = store.get_state("console:x")
    assert (row.flow, row.step, row.data) == ("report", "models_count", {"answers": {"year": 2024}})
    store.clear_state("console:x")
    assert store.get_state("console:x") is None


def test_submission_versions_and_latest(store: Store) -> None:
    user = store.touch_user("console", "s", "s")
    yte, stc = unit_id(store, "Sở Y tế"), unit_id(store, "Sở Tài chính")
    store.save_state("console:s", "report", "confirm", {"answers": {}, "_meta": {"qa": {"t": 1}}})
    s1 = store.submit(
        unit_id=yte, year=2024, answers={"n": 1}, user_id=user.id, actor="console:s", end_flow_of="console:s"
    )
    s2 = store.submit(unit_id=yte, year=2024, answers={"n": 2}, user_id=user.id, actor="console:s")
    s3 = store.submit(unit_id=yte, year=2025, answers={"n": 3}, user_id=user.id, actor="console:s")
    s4 = store.submit(unit_id=stc, year=2024, answers={"n": 4}, user_id=user.id, actor="console:s")
    assert (s1.version, s2.version, s3.version, s4.version) == (1, 2, 1, 1)
    # The flow ended in the same transaction; the dispatcher's own bookkeeping survived.
    row = store.get_state("console:s")
    assert (row.flow, row.data) == ("", {"_meta": {"qa": {"t": 1}}})
    latest = store.latest_submissions(2024)
    assert {k: v.answers["n"] for k, v in latest.items()} == {yte: 2, stc: 4}
    assert store.latest_submission(yte, 2025).id == s3.id
    assert len(store.submissions(unit_id=yte)) == 3
    audit = [e.detail for e in store.audit_entries("submission.create")]
    assert [d["version"] for d in audit] == [1, 2, 1, 1]


def test_submit_for_retired_unit_refused(store: Store) -> None:
    user = store.touch_user("console", "s", "s")
    yte = unit_id(store, "Sở Y tế")
    store.retire_unit(yte, "x")
    with pytest.raises(StoreError):
        store.submit(unit_id=yte, year=2024, answers={}, user_id=user.id, actor="console:s")
    assert store.submissions() == []


def test_fifty_concurrent_submissions_same_unit_get_distinct_versions(store: Store) -> None:
    users = [store.touch_user("console", f"c{i}", f"c{i}") for i in range(50)]
    yte = unit_id(store, "Sở Y tế")
    barrier = threading.Barrier(10)

    def submit(user: Any) -> Submission:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return store.submit(unit_id=yte, year=2024, answers={"by": user.key}, user_id=user.id, actor=user.key)

    with ThreadPoolExecutor(10) as pool:
        subs = list(pool.map(submit, users))
    assert sorted(s.version for s in subs) == list(range(1, 51))
    stored = store.submissions(unit_id=yte, year=2024)
    assert len(stored) == 50
    assert {s.answers["by"] for s in stored} == {u.key for u in users}
    assert all(s.answers["by"] == store.get_user_by_id(s.submitted_by_user_id).key for s in stored)


def test_settings_audit_questions_and_update_claims(store: Store) -> None:
    assert store.get_setting("report.open_years", []) == []
    store.set_setting("report.open_years", [2026], "console:admin")
    assert store.get_setting("report.open_years") == [2026]
    assert store.audit_entries("setting.set")[0].detail == {"key": "report.open_years", "value": [2026]}
    store.log_question(
        user_key="console:a", unit_name="Sở Y tế", question="Q1", answer="A1", confidence=0.9, answered=True
    )
    store.log_question(
        user_key="console:a", unit_name=None, question="Q2", answer="Xin lỗi", confidence=0.1, answered=False
    )
    assert [q.question for q in store.questions()] == ["Q2", "Q1"]
    assert [q.question for q in store.questions(declined_only=True)] == ["Q2"]
    assert store.claim_update("telegram", 1001) is True
    assert store.claim_update("telegram", "1001") is False
    assert store.claim_update("zalo", 1001) is True


def test_claim_update_is_exclusive_under_concurrency(store: Store) -> None:
    barrier = threading.Barrier(8)

    def claim(_: int) -> bool:
        barrier.wait()
        return store.claim_update("zalo", "m-1")

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(claim, range(8))) == [False] * 7 + [True]


def test_prune_updates(store: Store, clock: FakeClock) -> None:
    store.claim_update("telegram", "old")
    clock.advance(days=8)
    store.claim_update("telegram", "new")
    assert store.prune_updates(timedelta(days=7)) == 1
    assert store.claim_update("telegram", "old") is True
    assert store.claim_update("telegram", "new") is False
