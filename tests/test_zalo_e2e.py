"""The whole bot on Zalo, end to end, against the strict local Zalo Bot API server.

Each journey runs in long-polling AND webhook mode: real HTTP both ways, the real
adapter, dispatcher, handlers and database.  A final test runs ``directive-bot run``
as a subprocess pointed at the fake server (``ZALO_API_URL``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot.app import build_app
from bot.config import Settings
from bot.storage.db import session_scope
from bot.storage.models import InboxUpdate, Membership, StoredFile, Submission, User
from tests.fakes.chat import FakeClock
from tests.fakes.zalo_channel import WEBHOOK_SECRET, ZaloChannel, free_port
from tests.fakes.zalo_server import FakeZaloServer, tiny_png

ADMIN = "adm01"  # Zalo user id of the configured admin (zalo:adm01)
MARKUP = re.compile(r"</?(b|i|a|code|pre)\b|\*\*|&lt;|&gt;|&amp;")

pytestmark = pytest.mark.slow


@pytest.fixture(params=["polling", "webhook"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def server():
    async with FakeZaloServer(rate_limit=30) as srv:
        yield srv


@pytest.fixture
async def bot(server: FakeZaloServer, mode: str, tmp_path: Path, pack: Any, qa_engine: Any):
    """(channel driver, app) with the Zalo adapter running in ``mode`` against ``server``."""
    zc = ZaloChannel(server, mode)
    settings = zc.configure(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'bot.db'}",
            admins=frozenset({f"zalo:{ADMIN}"}),
            files_dir=str(tmp_path / "files"),
            max_attachment_bytes=512 * 1024,
        )
    )
    app = build_app(settings, clock=FakeClock(), pack=pack, qa=qa_engine)
    await zc.start(app)
    try:
        yield zc, app
    finally:
        await zc.stop()
        app.close()
        assert not server.markup_artefacts(), server.markup_artefacts()
        assert all(1 <= len(m.text) <= 2000 for m in server.all_sent() if m.method == "sendMessage")


def rows(app: Any, model: Any) -> list[Any]:
    with session_scope(app.engine) as s:
        return list(s.exec(select(model)).all())


async def register_with_invite(zc: ZaloChannel, user: str, unit: str) -> None:
    texts = await zc.say(ADMIN, f"/moi {unit}")
    code = re.search(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", texts[-1])
    assert code, texts
    texts = await zc.say(user, f"/dangky {code.group(0)}")
    assert "thành viên" in texts[-1], texts


# ----------------------------------------------------------------------------- journeys
async def test_question_answered_with_citation(bot):
    zc, _ = bot
    texts = await zc.say("q1", "Kinh phí thực hiện lấy từ đâu?")
    answer = "\n".join(texts)
    assert "Nguồn" in answer and "5500/UBND-NC" in answer
    assert "1395" in answer
    # without diacritics, same kind of answer
    texts = await zc.say("q1", "kinh phi thuc hien lay tu dau")
    assert "Nguồn" in "\n".join(texts)


async def test_commands_as_text_and_keywords(bot):
    zc, _ = bot
    texts = await zc.say("k1", "/start")
    assert texts and "Xin chào" in texts[0]
    for keyword, expected in (
        ("trợ giúp", "/baocao"),
        ("tro giup", "/baocao"),
        ("trạng thái", "đăng ký"),
        ("báo cáo", "đăng ký"),
        ("đăng ký", "đơn vị"),
        ("hủy", "Đã hủy"),
    ):
        texts = await zc.say("k1", keyword)
        assert texts and expected.lower() in texts[-1].lower(), (keyword, texts)


async def test_registration_with_numbered_choices_and_approval(bot, server):
    zc, app = bot
    await zc.say(ADMIN, "/start")  # the admin writes first: the platform only lets a bot answer
    texts = await zc.say("r1", "đăng ký", name="Nguyễn Thị Hoa")
    assert "đơn vị" in texts[-1]
    texts = await zc.say("r1", "so y te")  # no diacritics
    assert "1. Sở Y tế" in texts[-1] and "gõ số" in texts[-1]
    admin_seen = len(server.texts(ADMIN))
    texts = await zc.choose("r1", "Sở Y tế")  # types "1"
    assert "Đã gửi yêu cầu tham gia Sở Y tế" in texts[-1], texts

    # the admin is told, with the commands to type (a pushed message: its numbers would mean nothing)
    notice = (await server.wait_for_messages(ADMIN, admin_seen + 1))[-1].text
    assert "Nguyễn Thị Hoa" in notice and "- Duyệt: /duyet ok " in notice and "1. Duyệt" not in notice

    # the admin lists pending requests and answers the numbered list by number
    texts = await zc.say(ADMIN, "/duyet")
    assert "1. Duyệt #1" in texts[-1] and "2. Từ chối #1" in texts[-1]
    member_before = len(server.texts("r1"))
    texts = await zc.choose(ADMIN, "Duyệt #1")
    assert "duyệt" in texts[-1].lower()
    await server.wait_for_messages("r1", member_before + 1)
    assert "Sở Y tế" in server.texts("r1")[-1]

    (m,) = rows(app, Membership)
    assert m.status == "approved" and m.decided_by == f"zalo:{ADMIN}"
    (user,) = [u for u in rows(app, User) if u.key == "zalo:r1"]
    assert (user.channel, user.external_id, user.chat_id, user.display_name) == (
        "zalo",
        "r1",
        "r1",
        "Nguyễn Thị Hoa",
    )

    # a second official; the admin types the command shown in the notice
    admin_seen = len(server.texts(ADMIN))
    await zc.say("r2", "/dangky")
    await zc.say("r2", "Công an tỉnh")
    await zc.choose("r2", "Công an tỉnh")
    notice = (await server.wait_for_messages(ADMIN, admin_seen + 1))[-1].text
    command = re.search(r"- Duyệt: (/duyet ok \d+)", notice)
    assert command, notice
    await zc.say(ADMIN, command.group(1))
    assert {(m.status, m.unit_id) for m in rows(app, Membership)} == {
        ("approved", app.store.unit_by_name("Sở Y tế").id),
        ("approved", app.store.unit_by_name("Công an tỉnh").id),
    }


async def test_full_report_with_an_image(bot, server):
    zc, app = bot
    await zc.say(ADMIN, "/start")
    await register_with_invite(zc, "b1", "Sở Y tế")
    texts = await zc.say("b1", "/baocao")
    assert "1. 2025" in texts[-1]
    await zc.choose("b1", "2025")
    await zc.say("b1", "7")
    await zc.say("b1", "Camera an ninh, Tổ tự quản")
    texts = await zc.say("b1", "Giảm 20% vụ việc so với năm trước")
    # an optional text field: "1" is never a meaningful answer there, so the skip option is numbered
    # and typing 1 skips (issue 15: "1" used to be stored as the answer)
    assert "1. Bỏ qua" in texts[-1]
    await zc.choose("b1", "Bỏ qua")
    await zc.say("b1", "bo qua")  # the label, typed without diacritics
    texts = await zc.say("b1", "1,5 tỷ")
    assert "ảnh" in texts[-1]
    png = tiny_png(16, 16)
    texts = await zc.send_image("b1", png, caption=None)
    summary = texts[-1]
    assert "Kiểm tra lại" in summary and "1.500.000.000" in summary and "Xác nhận" in summary
    texts = await zc.choose("b1", "Xác nhận")
    assert "Đã lưu" in texts[-1]

    (sub,) = rows(app, Submission)
    assert sub.year == 2025 and sub.version == 1
    assert sub.answers["models_count"] == 7 and sub.answers["funding"] == 1_500_000_000
    assert sub.answers["difficulties"] in (None, "") and sub.answers["proposals"] in (None, "")
    (stored,) = rows(app, StoredFile)
    assert sub.file_id == stored.id and stored.sha256 == hashlib.sha256(png).hexdigest()
    assert stored.mime_type == "image/png" and Path(stored.path).read_bytes() == png


async def test_broadcast_reaches_members_and_marks_blocked_inactive(bot, server):
    zc, app = bot
    await zc.say(ADMIN, "/start")
    for user, unit in (("m1", "Sở Y tế"), ("m2", "Công an tỉnh"), ("m3", "Sở Tư pháp")):
        await register_with_invite(zc, user, unit)
    server.block("m3")
    before = {u: len(server.texts(u)) for u in ("m1", "m2")}
    texts = await zc.say(ADMIN, "/thongbao Họp giao ban trực tuyến lúc 08:00 ngày 20/06/2025")
    assert "Xem trước" in texts[-1], texts  # a preview first (issue 15 item 7)
    texts = await zc.choose(ADMIN, "Gửi")
    assert "3/3" in texts[-1] and "hàng gửi" in texts[-1], texts  # queued in the turn, then sent
    for u in ("m1", "m2"):
        new = server.texts(u)[before[u] :]
        assert len(new) == 1 and "Họp giao ban trực tuyến" in new[0]
    assert server.texts("m3")[-1:] != ["Họp giao ban trực tuyến lúc 08:00 ngày 20/06/2025"]
    active = {u.key: u.active for u in rows(app, User)}
    assert active["zalo:m3"] is False and active["zalo:m1"] is True


async def test_sticker_and_unsupported_get_a_polite_reply(bot, server):
    zc, _ = bot
    for inject in (server.inject_sticker, server.inject_unsupported):
        before, n = zc.adapter.completed, len(server.texts("s1"))
        inject("s1")
        await zc.adapter.wait_completed(before + 1)
        assert "chỉ hiểu tin nhắn chữ và hình ảnh" in server.texts("s1")[n]


async def test_replayed_event_is_processed_once(bot, server):
    zc, app = bot
    update = server.inject_text("d1", "/start")
    await zc.adapter.wait_completed(1)
    assert len(server.texts("d1")) == 1
    texts = await zc.replay("d1", update)
    assert texts == []
    assert zc.adapter.duplicates == 1 and zc.adapter.processed == 1
    assert [p.update_key for p in rows(app, InboxUpdate)] == [update["message"]["message_id"]]


# ----------------------------------------------------------------------------- webhook security
@pytest.mark.parametrize("mode", ["webhook"])
async def test_webhook_rejects_forged_requests_and_processes_nothing(bot, server, mode):
    zc, app = bot
    update = {
        "event_name": "message.text.received",
        "message": {
            "message_id": "forged0000000000001",
            "date": 1_750_000_000_000,
            "chat": {"id": "f1", "chat_type": "PRIVATE"},
            "from": {"id": "f1", "display_name": "Kẻ giả mạo", "is_bot": False},
            "text": "/thongbao giả mạo",
        },
    }
    server.known_chats.add("f1")
    assert await server.post_webhook(update, secret="wrong-secret-123") == 403
    assert await server.post_webhook(update, secret="") == 401  # no header at all
    assert await server.post_webhook(update, secret=WEBHOOK_SECRET[:-1] + "X") == 403
    async with httpx.AsyncClient() as http:
        headers = {"X-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        r = await http.post(zc.webhook_url, content=json.dumps(update), headers=headers)
        assert r.status_code == 415  # no JSON content type
        r = await http.post(
            zc.webhook_url,
            content=b"{" + b" " * 300_000 + b"}",
            headers={**headers, "Content-Type": "application/json"},
        )
        assert r.status_code == 413
        r = await http.post(
            zc.webhook_url, content=b"{oops", headers={**headers, "Content-Type": "application/json"}
        )
        assert r.status_code == 400
        r = await http.post(zc.webhook_url, json={"ok": True, "result": {"nope": 1}}, headers=headers)
        assert r.status_code == 400
    # nothing was processed, recorded or sent
    assert zc.adapter.completed == 0 and rows(app, InboxUpdate) == [] and rows(app, User) == []
    assert server.texts("f1") == []
    # the genuine delivery of the same event (flat form this time) is then processed normally
    update["message"]["text"] = "/start"
    assert await server.post_webhook(update, flat=True) == 200  # 200 = in the inbox, committed
    await zc.adapter.wait_completed(1)
    assert zc.adapter.processed == 1 and "Xin chào" in server.texts("f1")[0]


@pytest.mark.parametrize("mode", ["polling"])
async def test_polling_survives_api_outage(bot, server, mode, caplog):
    zc, _ = bot
    zc.adapter.max_backoff = 0.2
    server.fail_next("getUpdates", count=4, status=502)
    texts = await zc.say("o1", "/start", timeout=20)
    assert texts and "Xin chào" in texts[0]
    outage_logs = [r for r in caplog.records if "getUpdates" in r.getMessage()]
    assert 1 <= len(outage_logs) <= 3  # the first failure and the recovery, not one line per retry


# ----------------------------------------------------------------------------- the real command
def _env(tmp_path: Path, server: FakeZaloServer, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "WEBHOOK_"))}
    env.update(
        {
            "ZALO_BOT_TOKEN": server.token,
            "ZALO_API_URL": server.root_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "FILES_DIR": str(tmp_path / "files"),
            "BOT_ADMINS": f"zalo:{ADMIN}",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@pytest.mark.parametrize("run_mode", ["polling", "webhook"])
async def test_directive_bot_run_subprocess(tmp_path: Path, run_mode: str):
    async with FakeZaloServer() as server:
        extra: dict[str, str] = {}
        if run_mode == "webhook":
            port = free_port()
            extra = {
                "ZALO_WEBHOOK_URL": f"http://127.0.0.1:{port}/hooks/zalo",
                "ZALO_WEBHOOK_SECRET": WEBHOOK_SECRET,
            }
        exe = Path(sys.executable).with_name("directive-bot")
        proc = subprocess.Popen(
            [str(exe), "run"],
            env=_env(tmp_path, server, extra),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            if run_mode == "webhook":
                for _ in range(300):  # the bot registers its webhook itself at start
                    if server.webhook_url:
                        break
                    await asyncio.sleep(0.05)
                assert server.webhook_url == extra["ZALO_WEBHOOK_URL"]
                assert server.webhook_secret == WEBHOOK_SECRET
            server.inject_text("p1", "/start", display_name="Phạm Văn D")
            msgs = await server.wait_for_messages("p1", 1, timeout=60)
            assert "Xin chào" in msgs[0].text
            server.inject_text("p1", "Kinh phí thực hiện lấy từ đâu?")
            msgs = await server.wait_for_messages("p1", 2, timeout=30)
            assert "Nguồn" in msgs[1].text
            server.inject_text("p1", "đăng ký")
            server.inject_text("p1", "Công an tỉnh")
            msgs = await server.wait_for_messages("p1", 4, timeout=30)
            assert "1. Công an tỉnh" in msgs[3].text
            update = server.inject_text("p1", "1")
            msgs = await server.wait_for_messages("p1", 5, timeout=30)
            assert "Công an tỉnh" in msgs[4].text
            server.redeliver(update)
            await server.wait_idle(timeout=10, settle=0.5)
            assert len(server.texts("p1")) == 5
            if run_mode == "webhook":
                assert all(d.status == 200 for d in server.deliveries)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                out, _ = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
        assert proc.returncode == 0, out
        assert server.token.split(":", 1)[1] not in out  # the token never reaches the log
        assert "Zalo: chế độ " + ("webhook" if run_mode == "webhook" else "long polling") in out
