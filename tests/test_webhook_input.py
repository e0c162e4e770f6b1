"""Hostile input at the webhook edge (issue 14 item 5): 0 answers 5xx, 0 crashes, nothing half-stored.

Real HTTP into the bot's own aiohttp server (Telegram and Zalo routes), on SQLite and
PostgreSQL: bodies split across TCP writes, a 10 MB chunked body, JSON nested 10,000
deep, JSON of the wrong shape, and NUL/control characters in names and texts."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from bot.http import BadBody, parse_json
from tests.fakes.telegram_harness import WEBHOOK_SECRET, TelegramHarness

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "Content-Type": "application/json"}


def update(update_id: int, user: int, text: str, first_name: str = "Lan") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "text": text,
            "chat": {"id": user, "type": "private", "first_name": first_name},
            "from": {"id": user, "is_bot": False, "first_name": first_name},
        },
    }


def test_parse_json_refuses_deep_and_invalid() -> None:
    with pytest.raises(BadBody) as deep:
        parse_json(b"[" * 10_000 + b"]" * 10_000)
    assert deep.value.status == 400
    with pytest.raises(BadBody):
        parse_json(b'{"a": ' * 100 + b"1" + b"}" * 100)
    with pytest.raises(BadBody):
        parse_json(b"\xff\xfe")
    assert parse_json(b'{"ok": [1, {"x": 2}]}') == {"ok": [1, {"x": 2}]}


async def _split_post(url: str, body: bytes, pause: float = 0.2) -> int:
    """POST with the headers and each half of the body in separate TCP writes."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.hostname}\r\nContent-Type: application/json\r\n"
        f"X-Telegram-Bot-Api-Secret-Token: {WEBHOOK_SECRET}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    writer.write(head.encode())
    await writer.drain()
    for piece in (body[: len(body) // 2], body[len(body) // 2 :]):
        await asyncio.sleep(pause)
        writer.write(piece)
        await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


async def _chunked(size: int):  # 10 MB in 64 KiB chunks
    chunk = b" " * 65536
    sent = 0
    yield b'{"update_id": 1, "pad": "'
    while sent < size:
        yield chunk
        sent += len(chunk)
    yield b'"}'


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return request.getfixturevalue("pg_url")


async def test_telegram_webhook_hostile_bodies(tmp_path, pack, qa_engine, any_db) -> None:
    async with TelegramHarness.running(
        tmp_path, webhook=True, database_url=any_db, pack=pack, qa=qa_engine
    ) as h:
        url = h.app.settings.telegram_webhook_url
        h.fake.add_user(5101)
        body = json.dumps(update(900_001, 5101, "/start")).encode()
        assert await _split_post(url, body) == 200  # a body in two TCP writes is one update
        await h.adapter.wait_processed(900_001)
        assert any("Xin chào" in t for t in h.fake.texts(5101))
        statuses = []
        async with aiohttp.ClientSession() as s:
            async with s.post(url, data=_chunked(10 * 1024 * 1024), headers=HEADERS) as r:
                statuses.append(("chunked 10 MB", r.status))
            for label, raw in (
                ("deep", b"[" * 10_000 + b"]" * 10_000),
                ("deep object", b'{"update_id": 2, "message": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001),
                ("wrong shape", json.dumps({"message": "hello"}).encode()),
                ("message not an object", json.dumps({"update_id": 3, "message": "hello"}).encode()),
                ("negative id", json.dumps({"update_id": -1}).encode()),
                ("not JSON", b"\xff\x00{"),
            ):
                async with s.post(url, data=raw, headers=HEADERS) as r:
                    statuses.append((label, r.status))
            # NUL and control characters in a name and a text: stored clean, answered, no 5xx
            h.fake.add_user(5102)
            evil = update(900_002, 5102, "Kinh phí\x00 lấy từ đâu?\x07", first_name="=HYPERLINK(\x00\x1b[31m")
            async with s.post(url, json=evil, headers=HEADERS) as r:
                statuses.append(("NUL", r.status))
        assert dict(statuses) == {
            "chunked 10 MB": 413,
            "deep": 400,
            "deep object": 400,
            "wrong shape": 400,
            "message not an object": 400,
            "negative id": 400,
            "not JSON": 400,
            "NUL": 200,
        }
        await h.adapter.wait_processed(900_002)
        user = h.app.store.get_user("telegram:5102")
        assert user is not None and "\x00" not in user.display_name and "\x1b" not in user.display_name
        assert h.fake.texts(5102)  # answered
        assert h.adapter.stats["errors"] == 0
