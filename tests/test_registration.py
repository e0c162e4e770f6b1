"""/dangky, /duyet, /moi and /donvi through the conversation core."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import ADMIN
from tests.fakes.chat import ChatDriver, FakeClock


def membership(app: Any, user: str) -> Any:
    u = app.store.get_user(f"console:{user}")
    return app.store.current_membership(u.id)


async def test_register_without_diacritics_then_admin_approves(chat: ChatDriver, app: Any) -> None:
    await chat.say(ADMIN, "/start")  # the admin is known to the bot: notifications can reach them
    assert "tên đơn vị" in await chat.say("lan", "dang ky")
    text = await chat.say("lan", "so tai chinh")
    assert chat.choices("lan")[0][0] == "Sở Tài chính"
    assert ("Không phải, nhập lại", "retype") in chat.choices("lan")
    assert "đơn vị" in text
    text = await chat.say("lan", "1")
    assert "Đã gửi yêu cầu tham gia Sở Tài chính" in text
    assert membership(app, "lan").status == "pending"
    # The admin was told, with buttons to decide.
    note = app.console.take(ADMIN)
    assert len(note) == 1 and "Sở Tài chính" in note[0].text
    assert [c.label for c in note[0].choices] == ["Duyệt", "Từ chối"]
    listing = await chat.say(ADMIN, "/duyet")
    assert "console:lan" in listing and "Sở Tài chính" in listing
    text = await chat.say(ADMIN, "1")  # "Duyệt #N" is the first choice
    assert text.startswith("Đã duyệt yêu cầu")
    assert membership(app, "lan").status == "approved"
    assert any("đã được duyệt" in t for t in chat.outbox("lan"))
    assert [e.action for e in app.store.audit_entries()][-1] == "membership.approve"
    assert "Không có yêu cầu nào" in await chat.say(ADMIN, "/duyet")


async def test_reject_and_decide_twice(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế", approve=False)
    assert membership(app, "lan") is None
    assert any("không được duyệt" in t for t in chat.outbox("lan"))
    m_id = app.store.audit_entries("membership.reject")[0].detail["membership_id"]
    assert "không còn chờ duyệt" in await chat.say(ADMIN, f"/duyet ok {m_id}")


async def test_retype_and_no_match(chat: ChatDriver) -> None:
    await chat.say("lan", "/dangky")
    assert "Không tìm thấy đơn vị" in await chat.say("lan", "xyzxyz qwerty")
    await chat.say("lan", "y te")
    assert "tên đơn vị" in await chat.say("lan", choice="retype")
    text = await chat.say("lan", "Cong an tinh")
    assert chat.choices("lan")[0][0] == "Công an tỉnh", text


async def test_change_of_unit_needs_approval_again(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    assert membership(app, "lan").status == "approved"
    text = await chat.say("lan", "/dangky")
    assert "Bạn đang là thành viên của Sở Y tế" in text
    await chat.say("lan", "Sở Tài chính")
    await chat.say("lan", choice=chat.choice_value("lan", "Tài chính"))
    m = membership(app, "lan")
    assert m.status == "pending" and app.store.get_unit(m.unit_id).name == "Sở Tài chính"
    assert app.store.approved_unit(m.user_id) is None


async def test_invite_code_single_use_with_expiry(chat: ChatDriver, app: Any, clock: FakeClock) -> None:
    text = await chat.say(ADMIN, "/moi Sở Y tế")
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", text).group(1)
    assert "Dùng một lần" in text and "/dangky" in text
    text = await chat.say("lan", f"/dangky {code.lower()}")
    assert "Bạn đã là thành viên của Sở Y tế" in text
    assert membership(app, "lan").status == "approved"
    await chat.say("minh", "/dangky")
    assert "đã được dùng" in await chat.say("minh", code)
    assert membership(app, "minh") is None
    text = await chat.say(ADMIN, "/moi Sở Tài chính")
    code2 = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", text).group(1)
    clock.advance(days=7, minutes=1)
    assert "hết hạn" in await chat.say("minh", f"/dangky {code2}")
    assert membership(app, "minh") is None
    assert [e.action for e in app.store.audit_entries() if e.action.startswith("invite")] == [
        "invite.create",
        "invite.redeem",
        "invite.create",
    ]


async def test_invite_for_an_ambiguous_unit_asks(chat: ChatDriver, app: Any) -> None:
    assert "Cú pháp" in await chat.say(ADMIN, "/moi")
    assert "Tạo mã mời cho đơn vị nào" in await chat.say(ADMIN, "/moi huyen Son")
    labels = [label for label, _ in chat.choices(ADMIN)]
    assert {"UBND huyện Sơn Hà", "UBND huyện Sơn Tây", "UBND huyện Sơn Tịnh"} <= set(labels)
    assert all(v.startswith("/moi #") for _, v in chat.choices(ADMIN))
    assert f"Mã mời cho {labels[1]}" in await chat.say(ADMIN, "2")
    assert "Không tìm thấy" in await chat.say(ADMIN, "/moi qqqq zzzz")
    assert len(app.store.audit_entries("invite.create")) == 1


async def test_admin_adds_and_retires_units(chat: ChatDriver, app: Any) -> None:
    listing = await chat.say(ADMIN, "/donvi")
    assert "Sở Y tế" in listing and "/donvi them" in listing
    text = await chat.say(ADMIN, "/donvi them Ban Quản lý dự án tỉnh | department")
    assert "Đã thêm đơn vị" in text
    await chat.say("lan", "/dangky Ban Quan ly du an tinh")
    assert chat.choices("lan")[0][0] == "Ban Quản lý dự án tỉnh"
    await chat.say("lan", "/huy")
    await chat.say(ADMIN, "/donvi ngung Ban Quản lý dự án tỉnh")
    assert chat.choices(ADMIN)[0][0] == "Ban Quản lý dự án tỉnh"
    assert "Đã ngừng đơn vị" in await chat.say(ADMIN, "1")
    await chat.say("lan", "/dangky Ban Quan ly du an tinh")
    assert "Ban Quản lý dự án tỉnh" not in [label for label, _ in chat.choices("lan")]
    status = await chat.say(ADMIN, "/trangthai")
    assert "Ban Quản lý dự án tỉnh" not in status
    assert "thuộc loại nào" in await chat.say(ADMIN, "/donvi them Thiếu loại")
    await chat.say(ADMIN, "/huy")
    actions = [e.action for e in app.store.audit_entries()]
    assert actions == ["unit.add", "unit.retire"]


async def test_an_exact_name_is_offered_alone(chat: ChatDriver) -> None:
    """ "cong an tinh" shares "tỉnh" with other names; an exact match must not drag them in."""
    await chat.say("lan", "/dangky")
    await chat.say("lan", "cong an tinh")
    assert [label for label, _ in chat.choices("lan")] == ["Công an tỉnh", "Không phải, nhập lại"]


async def test_malformed_or_out_of_range_ids_get_a_clear_reply(chat: ChatDriver, app: Any) -> None:
    """Huge ids overflowed the INTEGER column and "²" passed str.isdigit(): both used to crash."""
    usage = "Cú pháp: /duyet ok SỐ"
    for args in ("ok abc", "ok 99999999999999999999", "no ²", "ok"):
        assert usage in await chat.say(ADMIN, f"/duyet {args}"), args
    assert "Không có yêu cầu nào" in await chat.say(ADMIN, "/duyet ²")
    for command in ("/donvi ngung #99999999999999999999", "/moi #99999999999999999999"):
        assert "Không tìm thấy đơn vị" in await chat.say(ADMIN, command), command
    await chat.say("lan", "/dangky")
    await chat.say("lan", "so y te")
    # a choice that was not offered (forged, or out of range) is refused before any handler sees it
    assert "hết hạn" in await chat.say("lan", choice="u:99999999999999999999")
    assert "hết hạn" in await chat.say("lan", choice="u:3")
    assert membership(app, "lan") is None


async def test_reject_in_two_words(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế", admin=None)
    m = membership(app, "lan")
    assert m.status == "pending"
    assert (await chat.say(ADMIN, f"/duyet từ chối #{m.id}")).startswith("Đã từ chối yêu cầu")
    assert membership(app, "lan") is None
