"""The thin async Zalo client against the strict local server."""

from __future__ import annotations

import socket

import pytest

from bot.channels.zalo_client import (
    IMAGE,
    TEXT,
    FileTooLarge,
    UpdateFormatError,
    ZaloApiError,
    ZaloClient,
    ZaloNetworkError,
    parse_update,
)
from tests.fakes.zalo_server import DEFAULT_TOKEN, FakeZaloServer, tiny_png


@pytest.fixture
async def server():
    async with FakeZaloServer(rate_limit=5) as srv:
        yield srv


@pytest.fixture
async def client(server):
    c = ZaloClient(DEFAULT_TOKEN, server.root_url, timeout=5)
    yield c
    await c.aclose()


async def test_get_me(client):
    me = await client.get_me()
    assert me["account_type"] == "BASIC"


async def test_get_updates_none_on_408_and_parsed_update(server, client):
    assert await client.get_updates(timeout=1) is None
    server.inject_text("abc123", "Xin chào", display_name="Trần Thị B")
    upd = await client.get_updates(timeout=2)
    assert upd is not None
    assert (upd.event_name, upd.chat_id, upd.user_id, upd.text, upd.display_name) == (
        TEXT,
        "abc123",
        "abc123",
        "Xin chào",
        "Trần Thị B",
    )
    assert len(upd.message_id) == 20 and upd.date_ms and upd.date_ms > 1_600_000_000_000


async def test_send_and_error_mapping(server, client):
    server.inject_text("u1", "hi")
    res = await client.send_message("u1", "Chào anh")
    assert "message_id" in res and server.texts("u1") == ["Chào anh"]

    with pytest.raises(ZaloApiError) as err:
        await client.send_message("u1", "x" * 2001)
    assert err.value.error_code == 400

    with pytest.raises(ZaloApiError) as err:
        await client.send_message("nobody", "hi")
    assert err.value.error_code == 400

    server.block("u1")
    with pytest.raises(ZaloApiError) as err:
        await client.send_message("u1", "hi")
    assert err.value.error_code == 403


async def test_429_carries_retry_after(server, client):
    server.inject_text("u1", "hi")
    for i in range(5):
        await client.send_message("u1", f"m{i}")
    with pytest.raises(ZaloApiError) as err:
        await client.send_message("u1", "one too many")
    assert err.value.error_code == 429 and err.value.retry_after is not None and err.value.retry_after >= 1


async def test_wrong_token_is_an_api_error_without_the_token_in_it(server):
    c = ZaloClient("999:secret-value-xyz", server.root_url)
    try:
        with pytest.raises(ZaloApiError) as err:
            await c.get_me()
        assert err.value.error_code == 401
        assert "secret-value-xyz" not in str(err.value) and "secret-value-xyz" not in repr(c)
    finally:
        await c.aclose()


async def test_network_error_is_translated_and_hides_the_url():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = ZaloClient("1:very-secret", f"http://127.0.0.1:{port}", timeout=2)
    try:
        with pytest.raises(ZaloNetworkError) as err:
            await c.send_message("u1", "hi")
        assert "very-secret" not in str(err.value)
        assert err.value.__cause__ is None and err.value.__suppress_context__
    finally:
        await c.aclose()


async def test_webhook_calls(server, client):
    info = await client.set_webhook("http://127.0.0.1:9/zalo", "secret-123")
    assert info["url"] == "http://127.0.0.1:9/zalo"
    assert (await client.get_webhook_info())["url"] == "http://127.0.0.1:9/zalo"
    with pytest.raises(ZaloApiError) as err:
        await client.get_updates(timeout=1)
    assert err.value.error_code == 409
    await client.delete_webhook()
    with pytest.raises(ZaloApiError):
        await client.set_webhook("https://example.org/zalo", "short")


async def test_download_with_size_limit(server, client):
    png = tiny_png()
    upd = server.inject_image("u1", png, caption="Ảnh mô hình")
    parsed = parse_update(upd)
    assert parsed.event_name == IMAGE and parsed.caption == "Ảnh mô hình"
    data, ctype = await client.download(parsed.photo_url, max_bytes=10_000)
    assert data == png and ctype == "image/png"

    big = server.add_file(b"\0" * 200_000, "image/jpeg")
    with pytest.raises(FileTooLarge):
        await client.download(big, max_bytes=100_000)
    with pytest.raises(ZaloNetworkError):
        await client.download(server.root_url + "/files/missing.png", max_bytes=100)


def test_parse_update_wrapped_flat_and_bad():
    flat = {
        "event_name": "message.text.received",
        "message": {
            "message_id": "m1",
            "date": 1766619597466,
            "chat": {"id": "c1", "chat_type": "PRIVATE"},
            "from": {"id": "u1", "first_name": "Nguyen Van A"},
            "text": "/baocao",
        },
    }
    a = parse_update(flat)
    b = parse_update({"ok": True, "result": flat})
    assert a == b and a.text == "/baocao" and a.display_name == "Nguyen Van A" and a.chat_id == "c1"
    # no event_name (as in some samples): inferred
    no_event = {"message": dict(flat["message"])}
    assert parse_update(no_event).event_name == TEXT
    for bad in (None, [], {"ok": True, "result": []}, {"message": "x"}, {"message": {"text": "hi"}}):
        with pytest.raises(UpdateFormatError):
            parse_update(bad)
