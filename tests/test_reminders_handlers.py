"""/nhacnho, /hanbaocao and /xongtonghop through the real conversation core (SQLite and PostgreSQL).

The app's clock is 15/06/2025 09:00 (tests.fakes.chat.FakeClock). The 2025 unit reports are due
Sunday 30/11/2025 by default; the compiled report Monday 15/12/2025.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from bot.reminders import state
from bot.reminders.obligations import for_app as obligations_for_app
from bot.storage.models import AuditLog


async def test_member_sees_upcoming_deadlines(chat):
    text = await chat.say("an", "/nhacnho")
    assert "/dangky" in text
    await chat.register("an", "Sở Tư pháp")
    text = await chat.say("an", "/nhacnho")
    assert "Hạn nộp sắp tới của Sở Tư pháp" in text
    assert "năm 2025" in text and "Chủ nhật 30/11/2025" in text and "còn 168 ngày" in text
    assert "mốc mặc định của bot" in text and "chưa nộp" in text
    assert "Lần nhắc tới: Thứ Sáu 14/11/2025 lúc 08:00" in text  # before-14 (Sunday 16/11) moved to Friday
    assert "/baocao" in text and "Mục 2" in text and "5500/UBND-NC" in text
    assert "tổng hợp" not in text.lower().split("căn cứ")[0], "the compiled report is the standing office's"
    # Keywords without diacritics work too (Zalo has no command menu).
    assert await chat.say("an", "nhac nho") == text


async def test_standing_office_member_also_sees_the_compiled_report(chat):
    await chat.register("binh", "Công an tỉnh")
    text = await chat.say("binh", "nhắc hạn")
    assert "Báo cáo tổng hợp kết quả hằng năm gửi UBND tỉnh năm 2025" in text
    assert "Thứ Hai 15/12/2025" in text and "/xongtonghop 2025" in text


async def test_submitted_unit_shows_done(chat):
    await chat.register("an", "Sở Tư pháp")
    await chat.report("an", ["2025", "5", "Mô hình A", "Kết quả tốt", None, None, "150 triệu", None])
    text = await chat.say("an", "/nhacnho")
    assert "đã nộp" in text and "Lần nhắc tới" not in text


async def test_admin_changes_a_due_date_without_restart(chat, app):
    await chat.register("an", "Sở Tư pháp")
    text = await chat.say("admin", "/hanbaocao 2025 20/11/2025")
    assert "Đã lưu" in text and "20/11/2025" in text and "30/11/2025" in text
    assert "không phải ngày ghi trong văn bản" in text
    assert "Lịch nhắc mới (08:00): 06/11/2025, 13/11/2025, 17/11/2025, 19/11/2025, 20/11/2025" in text
    member_view = await chat.say("an", "/nhacnho")
    assert "Thứ Năm 20/11/2025" in member_view and "do quản trị viên đặt" in member_view
    with Session(app.engine) as s:
        audit = s.exec(select(AuditLog).where(AuditLog.action == "reminders.set_due")).all()
    assert len(audit) == 1 and audit[0].actor == "console:admin"
    assert audit[0].detail == {
        "obligation": "unit-annual-report",
        "year": 2025,
        "old": "2025-11-30",
        "new": "2025-11-20",
        "opened_year": False,
    }
    listing = await chat.say("admin", "/hanbaocao")
    assert "2025: báo cáo đơn vị 20/11/2025 (đã đổi); báo cáo tổng hợp 15/12/2025" in listing


async def test_compiled_report_due_date_and_opening_a_year(chat, app):
    text = await chat.say("admin", "/hanbaocao tổng hợp 2025 19/12/2025")
    assert "Báo cáo tổng hợp" in text and "19/12/2025" in text
    obs = obligations_for_app(app)
    with Session(app.engine) as s:
        assert state.due_date(s, obs.get("compiled-annual-report"), 2025) == (date(2025, 12, 19), True)
        assert state.due_date(s, obs.unit_report, 2025) == (date(2025, 11, 30), False)
    text = await chat.say("admin", "/hanbaocao 2026 30/11/2026")
    assert "đã mở năm này" in text
    assert 2026 in app.open_years()  # the same setting the report form reads


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("2025 31/11/2025", "không tồn tại"),
        ("2025 30-11", "dd/mm/yyyy"),
        ("hai nghìn 30/11/2025", "Cú pháp"),
        ("25 30/11/2025", "4 chữ số"),
        ("2025 30/11/2030", "không hợp lý"),
        ("1999 30/11/1999", "không hợp lệ"),
        ("2025", "Cú pháp"),
    ],
)
async def test_bad_due_date_input_gets_a_clear_reply_and_changes_nothing(chat, app, args, expected):
    text = await chat.say("admin", f"/hanbaocao {args}")
    assert expected in text
    with Session(app.engine) as s:
        assert s.exec(select(AuditLog).where(AuditLog.action == "reminders.set_due")).all() == []


async def test_only_admins_change_due_dates(chat, app):
    await chat.register("an", "Sở Tư pháp")
    text = await chat.say("an", "/hanbaocao 2025 20/11/2025")
    assert "Đã lưu" not in text
    obs = obligations_for_app(app)
    with Session(app.engine) as s:
        assert state.due_date(s, obs.unit_report, 2025) == (date(2025, 11, 30), False)


async def test_compiled_report_marked_done_by_the_standing_office_only(chat, app):
    await chat.register("an", "Sở Tư pháp")
    await chat.register("binh", "Công an tỉnh")
    assert "Chỉ Thường trực" in await chat.say("an", "/xongtonghop 2025")
    assert "Cú pháp" in await chat.say("binh", "/xongtonghop")
    assert "Đã lưu" in await chat.say("binh", "/xongtonghop 2025")
    assert "từ trước" in await chat.say("admin", "/xongtonghop 2025")
    text = await chat.say("binh", "/nhacnho")
    assert "đã gửi UBND tỉnh" in text
