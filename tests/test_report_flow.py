"""/baocao end to end: validation, confirmation, versions, files, concurrency, SIGKILL and resume."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.messages import Attachment
from bot.storage.models import StoredFile
from tests.conftest import ADMIN
from tests.fakes.chat import ChatDriver

REPO = Path(__file__).resolve().parent.parent


def state(app: Any, user: str) -> Any:
    return app.store.get_state(f"console:{user}")


async def test_full_report_with_attachment(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    pdf = Attachment("Báo cáo 2024.pdf", b"%PDF-1.4 " + b"x" * 2000, "application/pdf")
    replies = await chat.report(
        "lan",
        ["1", "5", "Mô hình Camera an ninh", "Giảm 20% vụ việc", "Thiếu kinh phí", None, "1,5 tỷ", pdf],
        confirm=False,
    )
    summary = replies[-1].text
    assert "Năm báo cáo: 2025" in summary  # "1" picked the first (default) year
    assert "1.500.000.000 đồng" in summary and "Báo cáo 2024.pdf" in summary
    assert [c.label for c in replies[-1].choices] == ["Xác nhận", "Sửa một mục", "Hủy"]
    assert app.store.submissions() == []  # nothing stored before the confirmation
    text = await chat.say("lan", "xac nhan")
    assert text.startswith("Đã lưu báo cáo năm 2025 của Sở Y tế (phiên bản 1")
    [sub] = app.store.submissions()
    assert sub.answers["models_count"] == 5 and sub.answers["funding"] == 1_500_000_000
    assert sub.answers["difficulties"] == "Thiếu kinh phí" and sub.answers["proposals"] is None
    stored = app.store.get_file(sub.file_id)
    assert isinstance(stored, StoredFile) and stored.size == len(pdf.data)
    assert Path(stored.path).is_file() and Path(stored.path).is_relative_to(app.settings.files_dir)
    assert app.files.read(stored) == pdf.data
    assert state(app, "lan") is None or state(app, "lan").flow == ""
    assert app.store.audit_entries("submission.create")[0].actor == "console:lan"


INVALID = {
    "year": ["2019", "abc", "", "🙂", "x" * 10_000],
    "models_count": ["-1", "năm", "", "🙂🙂", "9" * 10_000, "5,5"],
    "model_names": ["", "🙂🎉", "x" * 10_000, "?"],
    "results": ["", "👍", "y" * 10_000],
    "difficulties": ["🙂", "z" * 10_000],
    "proposals": ["!!!", "w" * 10_000],
    "funding": ["-150 triệu", "nhiều lắm", "🙂", "9" * 10_000],
    "attachment": ["đây là tệp", "🙂"],
}
VALID = {
    "year": "2024",
    "models_count": "3",
    "model_names": "Tổ tự quản",
    "results": "Ổn định",
    "difficulties": "Không đủ người",
    "proposals": "Tăng kinh phí",
    "funding": "150.000.000",
    "attachment": None,
}


async def test_every_field_reasks_on_invalid_values_and_keeps_answers(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.say("lan", "/baocao")
    for key in app.form.keys:
        for bad in INVALID[key]:
            before = state(app, "lan")
            text = await chat.say("lan", bad) if bad else await chat.say("lan", "   ")
            after = state(app, "lan")
            assert "⚠️" in text, (key, bad[:20], text)
            assert app.form.field(key).prompt in text
            assert (after.step, after.data["answers"]) == (before.step, before.data["answers"]), (
                key,
                bad[:20],
            )
        if key == "attachment":
            oversize = Attachment("big.pdf", b"0" * (app.settings.max_attachment_bytes + 1))
            text = await chat.say("lan", attachments=[oversize])
            assert "quá lớn" in text and "⚠️" in text
            empty = Attachment("empty.pdf", b"")
            assert "rỗng" in await chat.say("lan", attachments=[empty])
        elif key != "year":
            text = await chat.say("lan", attachments=[Attachment("a.pdf", b"x")])
            assert "chưa tới bước gửi tệp" in text
        value = VALID[key]
        await (chat.say("lan", choice="skip") if value is None else chat.say("lan", value))
    assert state(app, "lan").step == "confirm"
    assert app.store.get_file(1) is None  # the oversized and empty files were never stored
    await chat.say("lan", "1")
    [sub] = app.store.submissions()
    assert sub.answers == {
        "year": 2024,
        "models_count": 3,
        "model_names": "Tổ tự quản",
        "results": "Ổn định",
        "difficulties": "Không đủ người",
        "proposals": "Tăng kinh phí",
        "funding": 150_000_000,
        "attachment": None,
    }


async def test_required_fields_cannot_be_skipped(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.say("lan", "/baocao")
    await chat.say("lan", "2024")
    # "Bỏ qua" is not offered on a required field: a forged skip choice is refused, a typed one explained
    assert "hết hạn" in await chat.say("lan", choice="skip")
    assert "bắt buộc" in await chat.say("lan", "bỏ qua")
    assert state(app, "lan").data["field"] == "models_count"
    await chat.say("lan", "3")
    await chat.say("lan", "Tổ tự quản")
    assert "bắt buộc" in await chat.say("lan", "bỏ qua")  # a required text field refuses the literal words
    assert state(app, "lan").data["field"] == "results"


async def test_edit_one_field_then_confirm(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.report("lan", confirm=False)
    await chat.say("lan", "Sửa một mục")
    assert chat.choices("lan")[1][0] == "Số mô hình hiệu quả được duy trì, nhân rộng"
    text = await chat.say("lan", "2")
    assert "Hiện tại: 5" in text
    assert "⚠️" in await chat.say("lan", "-4")
    text = await chat.say("lan", "12")
    assert "Đã sửa mục" in text and "nhân rộng: 12" in text
    await chat.say("lan", "Xác nhận")
    assert app.store.submissions()[0].answers["models_count"] == 12


async def test_cancel_at_confirmation_or_mid_form_stores_nothing(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.report("lan", confirm=False)
    assert "chưa được lưu" in await chat.say("lan", "Hủy")
    await chat.say("lan", "/baocao")
    await chat.say("lan", "2024")
    assert "Đã hủy" in await chat.say("lan", "huy")
    assert app.store.submissions() == []


async def test_resubmission_creates_a_new_version(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    await chat.register("minh", "Sở Y tế")
    await chat.report("lan")
    await chat.send("minh", "/baocao")
    replies = await chat.send("minh", "2024")
    assert "phiên bản 1" in replies[0].text and "phiên bản mới" in replies[0].text
    await chat.send("minh", choice="fresh")  # start over rather than from version 1
    answers = ["7", "Mô hình mới", "Tốt hơn", None, None, None, None]
    for a in answers:
        await (chat.say("minh", choice="skip") if a is None else chat.say("minh", a))
    text = await chat.say("minh", "1")
    assert "(phiên bản 2" in text
    subs = app.store.submissions()
    assert [(s.version, s.answers["models_count"]) for s in subs] == [(1, 5), (2, 7)]
    status = await chat.say("lan", "/trangthai 2024")
    assert "phiên bản 2" in status and "Cán bộ Minh" in status


async def test_fifty_users_submitting_concurrently(app: Any) -> None:
    store = app.store
    units = store.list_units()
    users = []
    for i in range(50):
        user = store.touch_user("console", f"u{i:02d}", f"u{i:02d}", f"Cán bộ {i}")
        m = store.request_membership(user.id, units[i % len(units)].id)
        store.decide_membership(m.id, True, "console:admin")
        users.append(user)
    chat = ChatDriver(app)

    async def journey(i: int) -> str:
        await chat.send(f"u{i:02d}", "/baocao")
        for a in ["2024", str(i), f"Mô hình số {i}", f"Kết quả của u{i:02d}", None, None, f"{i} triệu", None]:
            await chat.send(f"u{i:02d}", choice="skip") if a is None else await chat.send(f"u{i:02d}", a)
        return (await chat.send(f"u{i:02d}", choice="ok"))[0].text

    results = await asyncio.gather(*(journey(i) for i in range(50)))
    assert all(r.startswith("Đã lưu báo cáo năm 2024") for r in results), results
    subs = store.submissions(year=2024)
    assert len(subs) == 50
    by_user = {store.get_user_by_id(s.submitted_by_user_id).external_id: s for s in subs}
    for i in range(50):
        s = by_user[f"u{i:02d}"]
        assert s.answers["results"] == f"Kết quả của u{i:02d}"
        assert s.answers["models_count"] == i and s.answers["funding"] == i * 1_000_000
        assert s.unit_id == units[i % len(units)].id
    # Units with two reporters got versions 1 and 2, never a duplicate.
    per_unit: dict[int, list[int]] = {}
    for s in subs:
        per_unit.setdefault(s.unit_id, []).append(s.version)
    assert all(sorted(v) == list(range(1, len(v) + 1)) for v in per_unit.values())


# --------------------------------------------------------------- SIGKILL
class JsonlBot:
    """``directive-bot chat --jsonl`` as a subprocess; ``say`` returns the lines up to ``{"done": true}``."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "chat", "--jsonl"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )

    def say(self, user: str, text: str | None = None, choice: str | None = None) -> list[dict[str, Any]]:
        line = {
            "user": user,
            **({"text": text} if text is not None else {}),
            **({"choice": choice} if choice else {}),
        }
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        out = []
        while True:
            raw = self.proc.stdout.readline()
            if not raw:
                raise AssertionError(f"bot exited: {self.proc.stderr.read() if self.proc.stderr else ''}")
            obj = json.loads(raw)
            if obj.get("done"):
                return out
            out.append(obj)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin
            self.proc.stdin.close()
            self.proc.wait(timeout=10)


@pytest.mark.slow
def test_sigkill_mid_form_then_resume(db_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "BOT_ADMINS": f"console:{ADMIN}",
        "FILES_DIR": str(tmp_path / "files"),
        "PYTHONPATH": str(REPO),
    }
    bot = JsonlBot(env, tmp_path)
    try:
        bot.say("lan", "/dangky Sở Y tế")
        bot.say("lan", "1")
        bot.say(ADMIN, "/duyet ok 1")
        bot.say("lan", "/baocao")
        bot.say("lan", "2024")
        bot.say("lan", "9")
        replies = bot.say("lan", "Mô hình trước khi sập")
        assert "Kết quả chủ yếu" in replies[-1]["text"]
    finally:
        bot.kill()
    assert bot.proc.returncode == -signal.SIGKILL

    bot = JsonlBot(env, tmp_path)
    try:
        replies = bot.say("lan", "Kết quả sau khi khởi động lại")
        assert "(5/8)" in replies[-1]["text"]  # continued at the next field
        for _ in range(4):
            bot.say("lan", choice="skip")
        replies = bot.say("lan", "/trangthai 2024")  # a command in the middle: the form waits
        assert "chưa nộp" in replies[0]["text"]
        assert "đang làm dở" in replies[1]["text"] and replies[1]["choices"][0]["label"] == "Xác nhận"
        replies = bot.say("lan", "1")  # "Xác nhận"
        assert replies[-1]["text"].startswith("Đã lưu báo cáo năm 2024")
    finally:
        bot.close()

    from bot.storage.db import make_engine
    from bot.store import Store

    engine = make_engine(db_url)
    try:
        [sub] = Store(engine).submissions()
        assert sub.answers["models_count"] == 9
        assert sub.answers["model_names"] == "Mô hình trước khi sập"
        assert sub.answers["results"] == "Kết quả sau khi khởi động lại"
    finally:
        engine.dispose()
