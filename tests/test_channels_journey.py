"""One conversation, three channels: the terminal (console), Telegram and Zalo store the same records.

The journey is written once against a small driver interface (``say``, ``choose``,
``send_image``, ``pushed``); each driver speaks its channel's way — the console
hands choice values to the dispatcher, Telegram presses inline buttons on the strict
fake Bot API, Zalo types the number of a numbered line on the strict fake Zalo API.
After the journey the database is read back in a channel-neutral form (user keys
mapped to roles, files by checksum) and must equal the same expected records on
every channel, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlmodel import select

from bot.app import build_app
from bot.config import Settings
from bot.messages import Attachment, Incoming, Reply
from bot.storage.db import session_scope
from bot.storage.models import AuditLog, Invite, Membership, StoredFile, Submission, Unit, User
from tests.fakes.chat import FakeClock
from tests.fakes.zalo_channel import ZaloChannel
from tests.fakes.zalo_server import FakeZaloServer, tiny_png

pytestmark = pytest.mark.slow

PHOTO = tiny_png(24, 18, (10, 120, 200))


# ----------------------------------------------------------------------------- drivers
class ConsoleDriver:
    """The terminal channel: messages straight into the dispatcher; a choice is its value."""

    channel = "console"
    ids: ClassVar[dict[str, Any]] = {"admin": "admin", "alice": "alice", "bob": "bob"}

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last: dict[str, list[Reply]] = {}

    async def _send(self, role: str, **kw: Any) -> list[str]:
        uid = self.ids[role]
        msg = Incoming("console", uid, uid, display_name=role.capitalize(), **kw)
        replies = await self.app.dispatcher.handle(msg)
        self.last[role] = replies
        return [r.text for r in replies]

    async def say(self, role: str, text: str) -> list[str]:
        return await self._send(role, text=text)

    async def choose(self, role: str, label_part: str) -> list[str]:
        for reply in reversed(self.last.get(role, [])):
            for c in reply.choices:
                if label_part.lower() in c.label.lower():
                    return await self._send(role, choice=c.value)
        raise AssertionError(f"no choice {label_part!r} offered to {role}")

    async def send_image(self, role: str, data: bytes) -> list[str]:
        return await self._send(role, attachments=[Attachment("anh.png", data, "image/png", "photo")])

    async def pushed(self, role: str, predicate: Callable[[str], bool]) -> str:
        sent = [r.text for chat, r in self.app.console.sent if chat == self.ids[role]]
        found = [t for t in sent if predicate(t)]
        assert found, sent
        return found[-1]


class TelegramDriver:
    """Telegram through python-telegram-bot's polling loop and the strict fake Bot API."""

    channel = "telegram"
    ids: ClassVar[dict[str, Any]] = {"admin": 9001, "alice": 1001, "bob": 1002}

    def __init__(self, harness: Any) -> None:
        self.h = harness
        self.app = harness.app
        for role, uid in self.ids.items():
            if role != "admin":
                harness.fake.add_user(uid, role.capitalize())

    async def say(self, role: str, text: str) -> list[str]:
        return [m.text for m in await self.h.say(self.ids[role], text)]

    async def choose(self, role: str, label_part: str) -> list[str]:
        uid = self.ids[role]
        for msg in reversed(self.h.fake.messages(uid)):
            for label, _ in msg.buttons:
                if label_part.lower() in label.lower():
                    return [m.text for m in await self.h.press(uid, label, msg.message_id)]
        raise AssertionError(f"no button {label_part!r} for {role}")

    async def send_image(self, role: str, data: bytes) -> list[str]:
        return [m.text for m in await self.h.send_photo(self.ids[role], data)]

    async def pushed(self, role: str, predicate: Callable[[str], bool]) -> str:
        msgs = await self.h.fake.wait_for(self.ids[role], lambda m: predicate(m.text))
        return msgs[-1].text


class ZaloDriver:
    """Zalo through the adapter's long polling and the strict fake Zalo Bot API; choices by number."""

    channel = "zalo"
    ids: ClassVar[dict[str, Any]] = {"admin": "adm01", "alice": "alice", "bob": "bob"}

    def __init__(self, zc: ZaloChannel, app: Any) -> None:
        self.zc = zc
        self.app = app

    async def say(self, role: str, text: str) -> list[str]:
        return await self.zc.say(self.ids[role], text, name=role.capitalize())

    async def choose(self, role: str, label_part: str) -> list[str]:
        return await self.zc.choose(self.ids[role], label_part)

    async def send_image(self, role: str, data: bytes) -> list[str]:
        return await self.zc.send_image(self.ids[role], data)

    async def pushed(self, role: str, predicate: Callable[[str], bool]) -> str:
        uid = self.ids[role]
        for _ in range(200):
            found = [t for t in self.zc.server.texts(uid) if predicate(t)]
            if found:
                return found[-1]
            await asyncio.sleep(0.05)
        raise AssertionError(self.zc.server.texts(uid))


def _settings(tmp_path: Path, db_url: str, admin_key: str) -> Settings:
    return Settings(
        database_url=db_url,
        admins=frozenset({admin_key}),
        files_dir=str(tmp_path / "files"),
        max_attachment_bytes=1024 * 1024,
    )


@contextlib.asynccontextmanager
async def running(channel: str, tmp_path: Path, db_url: str, pack: Any, qa: Any) -> AsyncIterator[Any]:
    clock = FakeClock()
    if channel == "console":
        app = build_app(_settings(tmp_path, db_url, "console:admin"), clock=clock, pack=pack, qa=qa)
        try:
            yield ConsoleDriver(app)
        finally:
            app.close()
    elif channel == "telegram":
        harness_mod = pytest.importorskip("tests.fakes.telegram_harness")
        async with harness_mod.TelegramHarness.running(
            tmp_path, database_url=db_url, pack=pack, qa=qa, clock=clock
        ) as h:
            yield TelegramDriver(h)
    else:
        async with FakeZaloServer() as server:
            zc = ZaloChannel(server, "polling")
            settings = zc.configure(_settings(tmp_path, db_url, "zalo:adm01"))
            app = build_app(settings, clock=clock, pack=pack, qa=qa)
            await zc.start(app)
            try:
                yield ZaloDriver(zc, app)
            finally:
                await zc.stop()
                app.close()


# ----------------------------------------------------------------------------- the journey
async def journey(d: Any) -> None:
    """Registration by approval (alice) and by invite (bob), then bob's full report with a photo."""
    await d.say("admin", "/start")

    texts = await d.say("alice", "/dangky")
    assert "đơn vị" in texts[-1]
    await d.say("alice", "so y te")
    texts = await d.choose("alice", "Sở Y tế")
    assert "Đã gửi yêu cầu tham gia Sở Y tế" in texts[-1]
    await d.pushed("admin", lambda t: "Yêu cầu đăng ký mới" in t)
    texts = await d.say("admin", "/duyet")
    assert "Alice" in texts[-1]
    texts = await d.choose("admin", "Duyệt")
    assert "duyệt" in texts[-1].lower()
    await d.pushed("alice", lambda t: "đã được duyệt" in t)

    texts = await d.say("admin", "/moi Công an tỉnh")
    code = re.search(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", texts[-1])
    assert code, texts
    texts = await d.say("bob", f"/dangky {code.group(0)}")
    assert "thành viên của Công an tỉnh" in texts[-1]

    texts = await d.say("bob", "báo cáo")  # the keyword, not the command
    await d.choose("bob", "mặc định")
    await d.say("bob", "4")
    await d.say("bob", "Camera an ninh, Tổ tự quản")
    await d.say("bob", "Giảm 15% vụ việc so với năm trước")
    await d.choose("bob", "Bỏ qua")
    await d.say("bob", "Cần thêm kinh phí cho camera")
    await d.say("bob", "1,5 tỷ")
    texts = await d.send_image("bob", PHOTO)
    assert "Kiểm tra lại" in texts[-1]
    texts = await d.choose("bob", "Xác nhận")
    assert "Đã lưu báo cáo năm 2025" in texts[-1]

    texts = await d.say("alice", "trạng thái")
    assert "Sở Y tế" in "\n".join(texts)


def records(app: Any, ids: dict[str, Any], channel: str) -> dict[str, Any]:
    """What the journey stored, independent of the channel."""
    role_of = {f"{channel}:{uid}": role for role, uid in ids.items()}
    with session_scope(app.engine) as s:
        units = {u.id: u.name for u in s.exec(select(Unit)).all()}
        users = {u.id: role_of.get(u.key, u.key) for u in s.exec(select(User)).all()}
        files = {f.id: f for f in s.exec(select(StoredFile)).all()}
        memberships = sorted(
            (
                users[m.user_id],
                units[m.unit_id],
                m.status,
                bool(m.via_invite),
                role_of.get(m.decided_by or ""),
            )
            for m in s.exec(select(Membership)).all()
        )
        invites = sorted(
            (units[i.unit_id], role_of.get(i.created_by), users.get(i.used_by_user_id or -1))
            for i in s.exec(select(Invite)).all()
        )
        submissions = []
        for sub in s.exec(select(Submission)).all():
            answers = {k: v for k, v in sub.answers.items() if k != "attachment"}
            f = files.get(sub.file_id) if sub.file_id else None
            submissions.append(
                (
                    units[sub.unit_id],
                    sub.year,
                    sub.version,
                    users[sub.submitted_by_user_id],
                    tuple(sorted(answers.items())),
                    (f.sha256, f.size) if f else None,
                )
            )
        audit = sorted(a.action for a in s.exec(select(AuditLog)).all())
        active = sorted(r for uid, r in users.items() if r in ids)
    return {
        "users": active,
        "memberships": memberships,
        "invites": invites,
        "submissions": sorted(submissions),
        "audit": audit,
    }


EXPECTED = {
    "users": ["admin", "alice", "bob"],
    "memberships": [
        ("alice", "Sở Y tế", "approved", False, "admin"),
        ("bob", "Công an tỉnh", "approved", True, None),  # an invite needs no decision
    ],
    "invites": [("Công an tỉnh", "admin", "bob")],
    "submissions": [
        (
            "Công an tỉnh",
            2025,
            1,
            "bob",
            (
                ("difficulties", None),
                ("funding", 1_500_000_000),
                ("model_names", "Camera an ninh, Tổ tự quản"),
                ("models_count", 4),
                ("proposals", "Cần thêm kinh phí cho camera"),
                ("results", "Giảm 15% vụ việc so với năm trước"),
                ("year", 2025),
            ),
            (hashlib.sha256(PHOTO).hexdigest(), len(PHOTO)),
        )
    ],
    "audit": [
        "invite.create",
        "invite.redeem",
        "membership.approve",
        "membership.request",
        "submission.create",
    ],
}


# Every channel on SQLite; on PostgreSQL too except Telegram, whose 1 message/s per chat pacing makes
# the journey take 13 s: the storage code under the three channels is the same, and PostgreSQL is
# exercised here through the console and Zalo.
@pytest.mark.parametrize(
    ("db", "channel"),
    [
        ("sqlite", "console"),
        ("sqlite", "telegram"),
        ("sqlite", "zalo"),
        pytest.param("postgresql", "console", marks=pytest.mark.postgres),
        pytest.param("postgresql", "zalo", marks=pytest.mark.postgres),
    ],
)
async def test_same_journey_same_records(db, channel, request, tmp_path, pack, qa_engine):
    """The same expected records on every channel: so the three channels store the same."""
    db_url = request.getfixturevalue("sqlite_url" if db == "sqlite" else "pg_url")
    async with running(channel, tmp_path, db_url, pack, qa_engine) as d:
        await journey(d)
        got = records(d.app, d.ids, channel)
    assert got == EXPECTED
