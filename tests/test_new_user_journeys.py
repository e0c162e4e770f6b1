"""Issue 15: what a new user hit in the chat, one test per item (each failed on the main of 01/12/2026)."""

from __future__ import annotations

from typing import Any

from bot.channels.console import render_text
from bot.messages import Attachment
from tests.conftest import ADMIN
from tests.fakes.chat import ChatDriver, FakeClock


def state(app: Any, user: str) -> Any:
    return app.store.get_state(f"console:{user}")


async def _to_field(chat: ChatDriver, user: str, answers: list[str | None]) -> None:
    await chat.send(user, "/baocao")
    for a in answers:
        await (chat.send(user, choice="skip") if a is None else chat.send(user, a))


# ------------------------------------------------------------------- item 1
async def test_item1_typing_1_on_an_optional_step_skips_and_the_terminal_shows_it(
    chat: ChatDriver, app: Any
) -> None:
    await chat.register("lan", "Sở Y tế")
    await _to_field(chat, "lan", ["2024", "5", "Mô hình A", "Kết quả tốt"])
    replies = await chat.send("lan", "1")  # "1. Bỏ qua" on "Khó khăn" (optional text)
    assert "difficulties" not in state(app, "lan").data["answers"] or (
        state(app, "lan").data["answers"]["difficulties"] is None
    )
    assert "Đề xuất" in replies[-1].text
    await chat.send("lan", "1")  # proposals: skip
    replies = await chat.send("lan", "1")  # funding: "1" is choice 1 (skip), never "1 đồng"
    assert state(app, "lan").data["answers"]["funding"] is None
    # The terminal shows what a typed number does: numbered only when a number picks a choice.
    shown = render_text(replies[-1])
    assert "1. Bỏ qua" in shown
    await chat.send("lan", "/baocao")
    await chat.send("lan", "2024")
    await chat.send("lan", choice="fresh")
    reply = (await chat.send("lan", "3"))[-1]  # now on the (integer) model names? no: on the names
    reply = (await chat.send("lan", "/huy"))[-1]
    assert "Đã hủy" in reply.text


async def test_item1_integer_and_money_are_parsed_or_refused_never_truncated(
    chat: ChatDriver, app: Any
) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.send("lan", "/baocao")
    await chat.send("lan", "2024")
    assert "⚠️" in await chat.say("lan", "2 tỷ 500 triệu")  # 2.5 billion models: over the maximum
    await chat.send("lan", "10 nghìn")
    assert state(app, "lan").data["answers"]["models_count"] == 10_000
    await chat.send("lan", "Mô hình A")
    await chat.send("lan", "Kết quả tốt")
    await chat.send("lan", choice="skip")
    await chat.send("lan", choice="skip")
    assert "⚠️" in await chat.say("lan", "0,5")  # not 0 đồng
    assert "funding" not in state(app, "lan").data["answers"]
    await chat.send("lan", "0,5 tỷ")
    assert state(app, "lan").data["answers"]["funding"] == 500_000_000


async def test_item1_a_question_in_the_middle_of_a_form_is_not_stored_as_an_answer(
    chat: ChatDriver, app: Any
) -> None:
    await chat.register("lan", "Sở Y tế")
    await _to_field(chat, "lan", ["2024", "5"])
    text = await chat.say("lan", "huyện mình lấy kinh phí ở đâu?")
    assert "câu trả lời" in text and "câu hỏi" in text
    assert "model_names" not in state(app, "lan").data["answers"]
    replies = await chat.send("lan", choice="question")
    assert len(replies) >= 2 and "Tên các mô hình" in replies[-1].text  # answered, then asked again
    assert "model_names" not in state(app, "lan").data["answers"]
    await chat.send("lan", "Vì sao mô hình hiệu quả?")
    await chat.send("lan", choice="answer")  # it really was the answer
    assert state(app, "lan").data["answers"]["model_names"] == "Vì sao mô hình hiệu quả?"


async def test_item1_required_text_refuses_bo_qua(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    await _to_field(chat, "lan", ["2024", "5"])
    assert "bắt buộc" in await chat.say("lan", "bỏ qua")
    assert "model_names" not in state(app, "lan").data["answers"]


# ------------------------------------------------------------------- item 2
async def test_item2_a_form_resumed_after_a_pause_says_so_and_repeats_the_question(
    chat: ChatDriver, app: Any, clock: FakeClock
) -> None:
    await chat.register("lan", "Sở Y tế")
    await _to_field(chat, "lan", ["2024", "5", "Mô hình A"])
    clock.advance(minutes=45)
    text = await chat.say("lan", "tiếp tục")
    assert "đang làm dở" in text and "Kết quả chủ yếu" in text
    assert "results" not in state(app, "lan").data["answers"]
    await chat.send("lan", "Kết quả tốt")  # right after: taken as the answer
    assert state(app, "lan").data["answers"]["results"] == "Kết quả tốt"


async def test_item2_a_restart_is_noticed(chat: ChatDriver, app: Any, clock: FakeClock) -> None:
    from bot.conversation import Dispatcher, load_routers
    from handlers import ROUTERS

    await chat.register("lan", "Sở Y tế")
    await _to_field(chat, "lan", ["2024", "5", "Mô hình A"])
    app.dispatcher = Dispatcher(app, load_routers(ROUTERS))  # a new process
    clock.advance(minutes=3)
    assert "đang làm dở" in await chat.say("lan", "tiếp tục")
    assert "results" not in state(app, "lan").data["answers"]


# ------------------------------------------------------------------- item 3
async def test_item3_plain_word_commands_with_arguments(chat: ChatDriver, app: Any) -> None:
    await chat.say(ADMIN, "/start")
    await chat.register("lan", "Sở Y tế", admin=None)
    m = app.store.current_membership(app.store.get_user("console:lan").id)
    assert (await chat.say(ADMIN, f"duyệt ok {m.id}")).startswith("Đã duyệt yêu cầu")
    assert "TỔNG HỢP KẾT QUẢ NĂM 2024" in await chat.say(ADMIN, "tong hop 2024")
    assert "TỔNG HỢP KẾT QUẢ NĂM 2023" in await chat.say(ADMIN, "Tổng Hợp năm 2023")
    assert "năm 2022" in await chat.say(ADMIN, "trang thai 2022")
    # a question that starts with a command word is still a question
    text = await chat.say("lan", "tổng hợp kết quả gửi ai?")
    assert "TỔNG HỢP KẾT QUẢ" not in text


# ------------------------------------------------------------------- item 4
async def test_item4_confirm_and_edit_screens_understand_typed_words(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.report("lan", confirm=False)
    text = await chat.say("lan", "sửa mục 7")
    assert "Kinh phí" in text and "Hiện tại: 150.000.000 đồng" in text
    text = await chat.say("lan", "200 triệu")
    assert "Đã sửa mục" in text
    text = await chat.say("lan", "kinh phí")
    assert "Hiện tại: 200.000.000 đồng" in text
    await chat.say("lan", "250 triệu")
    assert "Hiện tại: 150" not in await chat.say("lan", "7")  # "7" alone: field 7 (beyond the 3 choices)
    await chat.say("lan", "300 triệu")
    assert "Sửa mục nào" in await chat.say("lan", "2")  # "2" is the 2nd choice: "Sửa một mục"
    assert "Hiện tại: 5" in await chat.say("lan", "2")  # then field 2
    await chat.say("lan", "6")
    wrong = await chat.say("lan", "abc xyz")
    assert "Kiểm tra lại" not in wrong and "sửa mục 7" in wrong  # no summary reprint, a hint
    assert "bấm" not in wrong
    await chat.say("lan", "sửa")
    assert chat.choices("lan")[0][0] == "Năm báo cáo"
    await chat.say("lan", "Quay lại")
    await chat.say("lan", "Xác nhận")
    sub = app.store.submissions()[0]
    assert sub.answers["funding"] == 300_000_000 and sub.answers["models_count"] == 6


# ------------------------------------------------------------------- item 5
async def test_item5_resubmitting_starts_from_the_last_version_and_tells_colleagues(
    chat: ChatDriver, app: Any
) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.register("minh", "Sở Y tế")
    pdf = Attachment("bao-cao.pdf", b"%PDF-1.4 test", "application/pdf")
    await chat.report("lan", ["2024", "5", "Mô hình A", "Kết quả tốt", None, None, "150 triệu", pdf])
    chat.outbox("minh")
    await chat.send("minh", "/baocao")
    text = await chat.say("minh", "2024")
    assert "phiên bản 1" in text
    text = await chat.say("minh", choice="last")
    assert "Mô hình A" in text and "150.000.000 đồng" in text and "bao-cao.pdf" in text
    await chat.say("minh", "sửa mục 2")
    await chat.say("minh", "7")
    text = await chat.say("minh", "Xác nhận")
    assert "phiên bản 2" in text
    v2 = app.store.latest_submission(app.store.submissions()[0].unit_id, 2024)
    assert v2.answers["models_count"] == 7 and v2.answers["results"] == "Kết quả tốt"
    assert v2.file_id is not None and v2.file_id == app.store.submissions()[0].file_id
    assert any("phiên bản 2" in t for t in chat.outbox("lan"))


# ------------------------------------------------------------------- item 7
async def test_item7_units_invites_and_categories(chat: ChatDriver, app: Any) -> None:
    text = await chat.say(ADMIN, "/donvi them Trung tâm Y tế huyện Ba Tơ | huyện")
    assert "Đã thêm đơn vị" in text and "huyện" in text.lower()
    await chat.say(ADMIN, "/donvi them Ban Quản lý khu công nghệ cao")
    assert len(chat.choices(ADMIN)) == 5
    assert "Đã thêm đơn vị" in await chat.say(ADMIN, "2")
    assert "mã mời không hợp lệ" in (await chat.say("lan", "/dangky ABCD-EFGH")).lower()
    await chat.say(ADMIN, "/moi so")
    labels = [label for label, _ in chat.choices(ADMIN)]
    assert len(labels) >= 3 and all(label.startswith("Sở") for label in labels), labels


# ------------------------------------------------------------------- item 9
def test_item9_startup_errors_name_the_variable_in_vietnamese(tmp_path: Any) -> None:
    import pytest

    from bot.config import ConfigError, Settings

    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("x")
    cases = {
        "DATABASE_URL": {"DATABASE_URL": "mysql://localhost/bot"},
        "LOG_LEVEL": {"LOG_LEVEL": "ồn ào"},
        "TELEGRAM_BOT_TOKEN": {"TELEGRAM_BOT_TOKEN": "not a token"},
        "FILES_DIR": {"FILES_DIR": str(not_a_dir / "files")},
    }
    for name, env in cases.items():
        env = {"FILES_DIR": str(tmp_path / "f"), "DATABASE_URL": f"sqlite:///{tmp_path}/b.db", **env}
        with pytest.raises(ConfigError) as exc:
            Settings.from_env(env)
        assert name in str(exc.value) and "Cấu hình không hợp lệ" in str(exc.value), str(exc.value)
    with pytest.raises(ConfigError, match=r"DATABASE_URL.*không phải thư mục"):
        Settings.from_env({"DATABASE_URL": f"sqlite:///{not_a_dir}/bot.db", "FILES_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="MAX_ATTACHMENT_MB phải là số nguyên"):
        Settings.from_env({"MAX_ATTACHMENT_MB": "mười", "FILES_DIR": str(tmp_path / "f")}, check_paths=False)


def test_item9_help_is_vietnamese_and_piping_into_head_is_quiet(tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/b.db", "FILES_DIR": str(tmp_path / "f")}
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--help"], capture_output=True, env=env, timeout=60
    )
    assert "cách dùng" in out.stdout.decode() and "tùy chọn" in out.stdout.decode()
    assert "usage" not in out.stdout.decode()
    # `chat | head -1`: the reader leaves after one line; the chat must end without a traceback
    cmd = f"{sys.executable} -m bot.cli chat --user lan | head -n 1"
    proc = subprocess.run(
        ["sh", "-c", cmd], input=b"/trogiup\n/trogiup\n/trogiup\n", capture_output=True, env=env, timeout=90
    )
    assert b"Traceback" not in proc.stderr and b"BrokenPipe" not in proc.stderr, proc.stderr[-500:]


async def test_item9_blank_message_gets_a_hint(chat: ChatDriver) -> None:
    assert "Tin nhắn trống" in await chat.say("lan", "   ")


def test_item9_ask_batch_without_question_and_unknown_unit(tmp_path: Any) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "FILES_DIR": str(tmp_path / "f")}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json", "-"],
        input='{"unit": "Sở Y tế"}\n'.encode(),
        capture_output=True,
        env=env,
        timeout=60,
    )
    out = json.loads(proc.stdout.decode().splitlines()[0])
    assert out["error"] and "question" in out["message"]
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--unit", "Sở Vũ Trụ", "kinh phí lấy ở đâu"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert "Không có đơn vị “Sở Vũ Trụ”" in proc.stderr.decode()


# ------------------------------------------------------------------ item 10
PASTED = """Báo cáo năm 2024 của Sở Y tế
Số mô hình: 4
Tên các mô hình: Camera an ninh; Tổ tự quản
Kết quả: Giảm 15% vụ việc so với năm trước
Khó khăn: Thiếu kinh phí duy trì
Kinh phí: 200 triệu"""


async def test_item10_a_pasted_report_fills_the_form_and_asks_only_what_is_missing(
    chat: ChatDriver, app: Any
) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.send("lan", "/baocao")
    text = await chat.say("lan", PASTED)
    answers = state(app, "lan").data["answers"]
    assert answers["year"] == 2024 and answers["models_count"] == 4
    assert answers["funding"] == 200_000_000 and "Camera" in answers["model_names"]
    assert answers["difficulties"] == "Thiếu kinh phí duy trì"
    assert "(chưa có)" in text and "Đề xuất" in text  # what is missing is shown, then asked
    await chat.send("lan", choice="skip")  # proposals
    await chat.send("lan", choice="skip")  # attachment
    assert "Đã lưu" in await chat.say("lan", "Xác nhận")
    assert app.store.submissions()[0].answers["results"].startswith("Giảm 15%")


async def test_item10_the_units_own_document_fills_the_form_and_is_the_attachment(
    chat: ChatDriver, app: Any
) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.send("lan", "/baocao")
    doc = Attachment("bao-cao-2024.txt", PASTED.encode(), "text/plain")
    text = await chat.say("lan", attachments=[doc])
    answers = state(app, "lan").data["answers"]
    assert answers["models_count"] == 4 and answers["attachment"]["filename"] == "bao-cao-2024.txt"
    assert "Đã điền" in text


# ------------------------------------------------------------------- item 6
async def test_item6_nhacnho_says_overdue_and_compares_today_with_the_period(
    chat: ChatDriver, app: Any, clock: FakeClock
) -> None:
    from datetime import UTC, datetime

    await chat.register("an", "Sở Tư pháp")
    clock.set(datetime(2025, 12, 20, 2, 0, tzinfo=UTC))  # after the 2025 due date (30/11/2025)
    text = await chat.say("an", "/nhacnho")
    assert "Hôm nay: 20/12/2025" in text
    assert "chưa nộp" in text and "đã quá hạn 20 ngày" in text, text
    clock.set(datetime(2027, 3, 1, 2, 0, tzinfo=UTC))  # the directive's period 2021–2025 is over
    text = await chat.say("an", "/nhacnho")
    assert "2021–2025" in text and "đã kết thúc" in text and "hỏi" in text, text


async def test_item6_hanbaocao_dates_years_and_warnings(chat: ChatDriver) -> None:
    text = await chat.say(ADMIN, "/hanbaocao 2025 20-12-2025")
    assert "20/12/2025" in text and "/2025" in text.split("Lịch nhắc mới")[1].split("\n")[0]
    assert "sau hạn báo cáo tổng hợp" in text  # the compiled report is due 15/12/2025
    assert "20/11/2025" in await chat.say(ADMIN, "/hanbaocao 2025 2025-11-20")
    assert "đã qua" in await chat.say(ADMIN, "/hanbaocao 2025 01/03/2025")  # today is 15/06/2025
    assert "không tồn tại" in await chat.say(ADMIN, "/hanbaocao 2025 31/02/2025")


async def test_item6_compiled_reminder_without_recipient_tells_the_admin(app: Any) -> None:
    from datetime import UTC, datetime

    from sqlmodel import Session

    from bot.reminders import targets
    from bot.reminders.obligations import for_app

    app.store.touch_user("console", ADMIN, ADMIN, ADMIN)
    obligations = for_app(app)
    now = datetime(2025, 12, 15, 1, 0, tzinfo=UTC)  # 08:00 local on the compiled report's due day
    with Session(app.engine) as session:
        due = targets.due_messages(session, obligations, now, admin_keys=[f"console:{ADMIN}"])
    told = [m for m in due if m.recipient.startswith("noone:")]
    assert told and "chưa có thành viên nào được duyệt" in told[0].outgoing.reply.text


# ------------------------------------------------------------------- item 8
async def test_item8_registration_asks_who_you_are_and_the_admin_and_exports_see_it(
    chat: ChatDriver, app: Any
) -> None:
    from bot.export import export

    await chat.say(ADMIN, "/start")
    await chat.say("lan", "/dangky Sở Y tế")
    text = await chat.say("lan", choice=chat.choice_value("lan", "Sở Y tế"))
    assert "Đã gửi yêu cầu" in text and "họ tên và chức vụ" in text
    chat.outbox(ADMIN)
    text = await chat.say("lan", "Nguyễn Thị Lan, chuyên viên phòng Tổng hợp, 0905 123 456")
    assert "Cảm ơn Nguyễn Thị Lan" in text
    note = chat.outbox(ADMIN)
    assert note and "Nguyễn Thị Lan, chuyên viên phòng Tổng hợp, ĐT 0905123456" in note[0]
    assert "Nguyễn Thị Lan" in await chat.say(ADMIN, "/duyet")
    m = app.store.current_membership(app.store.get_user("console:lan").id)
    await chat.say(ADMIN, f"/duyet ok {m.id}")
    await chat.report("lan")
    assert "Nguyễn Thị Lan (chuyên viên phòng Tổng hợp)" in export(app, 2024, "csv").decode("utf-8-sig")


# ------------------------------------------------------- items 5, 7 and 11
async def test_item5_members_view_their_reports_and_late_ones_are_marked(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.report("lan")  # for 2024, in June 2025: after the 2024 due date (30/11/2024)
    await chat.report("lan", ["2024", "9", "Mô hình B", "Tốt hơn", None, None, "2 tỷ", None])
    text = await chat.say("lan", "/baocaocuatoi")
    assert (
        "phiên bản 2/2" in text
        and "nộp muộn" in text
        and "Mô hình B" in text
        and "2.000.000.000 đồng" in text
    )
    assert "Mô hình Camera an ninh" in await chat.say("lan", "xem báo cáo 2024 1")
    assert "Nộp muộn" in await chat.say("lan", "/trangthai 2024")
    assert "nộp muộn" in await chat.say(ADMIN, "/trangthai 2024")
    assert "nộp muộn" in await chat.say(ADMIN, "/tonghop 2024")


async def test_item7_broadcast_preview_target_and_background(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.register("minh", "Sở Tài chính")
    await chat.report("lan", ["2025", "5", "Mô hình A", "Tốt", None, None, None, None])
    app.console.take()
    text = await chat.say(ADMIN, "/thongbao chưa nộp 2025 Đề nghị nộp báo cáo năm 2025")
    assert "Xem trước" in text and "1 người" in text and "chưa nộp báo cáo năm 2025" in text
    assert app.console.take() == []  # nothing sent before the admin confirms
    assert "Đang gửi" in await chat.say(ADMIN, "Gửi")
    await app.wait_background()
    assert [r.text for r in app.console.take("minh")] == ["📢 Thông báo:\nĐề nghị nộp báo cáo năm 2025"]
    assert app.console.take("lan") == []
    help_text = await chat.say("lan", "/trogiup")
    assert "/xongtonghop" in help_text


async def test_item7_export_in_the_terminal_writes_the_file(tmp_path: Any) -> None:
    from bot.channels.console import save_files
    from bot.messages import OutFile, Reply

    [path] = save_files(Reply("x", files=[OutFile("tong-hop-2024.xlsx", b"PK")]), tmp_path)
    assert path.read_bytes() == b"PK" and path.name == "tong-hop-2024.xlsx"
    [again] = save_files(Reply("x", files=[OutFile("tong-hop-2024.xlsx", b"PK2")]), tmp_path)
    assert again.name == "tong-hop-2024 (2).xlsx"


async def test_item11_wording(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    text = (await chat.report("lan", confirm=False))[-1].text
    assert "(đồng): 150.000.000 đồng" not in text and "Kinh phí đã sử dụng: 150.000.000 đồng" in text
    overview = await chat.say(ADMIN, "/tonghop 2024")
    missing = overview.split("Chưa nộp (")[1].splitlines()
    assert all(line.startswith("  - ") for line in missing[1:4])  # one unit per line
    answer = await chat.say("lan", "Công văn 5500 ban hành ngày nào?")
    assert "10/11/2020 (ngày 10 tháng 11 năm 2020)" not in answer
