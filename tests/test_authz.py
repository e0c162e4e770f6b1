"""Authorization matrix: admin commands, unit isolation, pending/rejected users."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ADMIN
from tests.fakes.chat import ChatDriver

ADMIN_COMMANDS = [
    "/duyet",
    "/duyet ok 1",
    "/moi Sở Y tế",
    "/donvi",
    "/donvi ngung #1",
    "/donvi them Đơn vị lạ | department",
    "/tonghop",
    "/tonghop 2024",
    "/thongbao Nội dung giả mạo",
    "/monam 2030",
    "/xuatbaocao 2024",
]
REFUSED = "chỉ dành cho quản trị viên"


@pytest.fixture
async def people(chat: ChatDriver) -> ChatDriver:
    """member_a (Sở Y tế), member_b (Sở Tài chính), pending (Sở Y tế), rejected (Sở Y tế), stranger."""
    await chat.register("member_a", "Sở Y tế")
    await chat.register("member_b", "Sở Tài chính")
    await chat.register("pending", "Sở Y tế", admin=None)
    await chat.register("rejected", "Sở Y tế", approve=False)
    await chat.say("stranger", "/start")
    chat.app.console.take()
    return chat


@pytest.mark.parametrize("who", ["member_a", "pending", "rejected", "stranger"])
async def test_non_admins_cannot_run_admin_commands(people: ChatDriver, app: Any, who: str) -> None:
    audit_before = len(app.store.audit_entries())
    pending_before = [m.id for m, _, _ in app.store.pending_requests()]
    for command in ADMIN_COMMANDS:
        assert REFUSED in await people.say(who, command), command
        # The same command pressed as a button (a choice value) is refused too.
        assert REFUSED in await people.say(who, choice=command), command
    assert "Tổng hợp" not in await people.say(who, "tong hop")
    assert len(app.store.audit_entries()) == audit_before
    assert [m.id for m, _, _ in app.store.pending_requests()] == pending_before
    assert app.console.take() == []  # no broadcast went out
    assert app.store.get_setting("report.open_years") is None
    assert len(app.store.list_units()) == len(app.pack.units)


async def test_admin_can_run_them(people: ChatDriver) -> None:
    for command in ("/duyet", "/donvi", "/tonghop", "/monam", "/xuatbaocao 2024"):
        assert REFUSED not in await people.say(ADMIN, command), command


@pytest.mark.parametrize("who", ["pending", "rejected", "stranger", ADMIN])
async def test_only_approved_members_can_start_a_report(people: ChatDriver, app: Any, who: str) -> None:
    text = await people.say(who, "/baocao")
    assert "chờ" in text or "Chỉ thành viên" in text
    state = app.store.get_state(f"console:{who}")
    assert state is None or state.flow == ""
    assert app.store.submissions() == []


async def test_member_sees_only_their_unit(people: ChatDriver) -> None:
    await people.report("member_b")
    text_a = await people.say("member_a", "/trangthai 2024")
    assert text_a.startswith("Sở Y tế chưa nộp báo cáo năm 2024")
    assert "Sở Tài chính" not in text_a
    text_b = await people.say("member_b", "/trangthai 2024")
    assert text_b.startswith("Sở Tài chính đã nộp báo cáo năm 2024")
    # There is no way to name another unit: extra words are not a unit selector.
    assert "Năm phải là số" in await people.say("member_a", "/trangthai Sở Tài chính")


async def test_member_cannot_submit_for_another_unit(people: ChatDriver, app: Any) -> None:
    store = app.store
    await people.report("member_a", confirm=False)
    # A forged (or stale) form state naming unit B is refused at confirmation.
    state = store.get_state("console:member_a")
    unit_b = store.unit_by_name("Sở Tài chính")
    data = dict(state.data)
    data["unit_id"], data["unit_name"] = unit_b.id, unit_b.name
    store.save_state("console:member_a", state.flow, state.step, data)
    text = await people.say("member_a", "Xác nhận")
    assert "không còn là thành viên" in text
    assert store.submissions() == []


async def test_membership_lost_mid_form_blocks_the_submission(people: ChatDriver, app: Any) -> None:
    await people.report("member_a", confirm=False)
    user = app.store.get_user("console:member_a")
    # An admin moves them out while the summary is on screen (request for another unit ends the old one).
    app.store.request_membership(user.id, app.store.unit_by_name("Sở Tài chính").id)
    text = await people.say("member_a", "Xác nhận")
    assert "chờ quản trị viên duyệt" in text or "không còn là thành viên" in text
    assert app.store.submissions() == []
