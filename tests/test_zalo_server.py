"""The fake Zalo Bot API server enforces the platform's rules (checked with raw HTTP, not our client)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from aiohttp import web

from tests.fakes.zalo_server import DEFAULT_TOKEN, SECRET_HEADER, FakeZaloServer, tiny_png


@pytest.fixture
async def server():
    async with FakeZaloServer() as srv:
        yield srv


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def api(server: FakeZaloServer, method: str, token: str = DEFAULT_TOKEN) -> str:
    return f"{server.root_url}/bot{token}/{method}"


async def test_get_me_and_auth(server, http):
    r = await http.post(api(server, "getMe"), json={})
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["result"]["account_type"] == "BASIC"

    r = await http.post(api(server, "getMe", token="123:wrong"), json={})
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}

    r = await http.get(api(server, "getMe"))
    assert r.status_code == 405 and r.json()["ok"] is False

    r = await http.post(api(server, "sendInvoice"), json={})
    assert r.status_code == 404 and r.json()["error_code"] == 404


async def test_get_updates_times_out_with_408(server, http):
    started = time.monotonic()
    r = await http.post(api(server, "getUpdates"), json={"timeout": "1"})
    assert r.status_code == 408
    assert r.json() == {"ok": False, "error_code": 408, "description": "Request timeout"}
    assert time.monotonic() - started >= 0.9


async def test_get_updates_returns_one_update_at_a_time(server, http):
    first = server.inject_text("u1", "xin chào", display_name="Nguyễn Văn A")
    server.inject_text("u1", "lần hai")
    r = await http.post(api(server, "getUpdates"), data={"timeout": "5"})  # form-encoded works too
    body = r.json()
    assert r.status_code == 200 and body["ok"] is True
    assert body["result"]["event_name"] == "message.text.received"
    assert body["result"]["message"]["message_id"] == first["message"]["message_id"]
    assert body["result"]["message"]["from"]["display_name"] == "Nguyễn Văn A"
    r = await http.post(api(server, "getUpdates"), json={"timeout": 5})
    assert r.json()["result"]["message"]["text"] == "lần hai"


async def test_long_poll_wakes_when_an_update_arrives(server, http):
    async def later():
        await asyncio.sleep(0.3)
        server.inject_text("u2", "muộn")

    task = asyncio.create_task(later())
    started = time.monotonic()
    r = await http.post(api(server, "getUpdates"), json={"timeout": 10})
    await task
    assert r.status_code == 200 and r.json()["result"]["message"]["text"] == "muộn"
    assert time.monotonic() - started < 5


async def test_redeliver_repeats_the_same_message_id(server, http):
    upd = server.inject_text("u1", "một")
    server.redeliver(upd)
    ids = []
    for _ in range(2):
        r = await http.post(api(server, "getUpdates"), json={"timeout": 2})
        ids.append(r.json()["result"]["message"]["message_id"])
    assert ids == [upd["message"]["message_id"]] * 2


async def test_send_message_rules(server, http):
    server.inject_text("u1", "hi")
    r = await http.post(api(server, "sendMessage"), json={"chat_id": "u1", "text": "Chào bạn"})
    assert r.status_code == 200 and set(r.json()["result"]) == {"message_id", "date"}
    assert server.texts("u1") == ["Chào bạn"]

    for text in ("", "x" * 2001):
        r = await http.post(api(server, "sendMessage"), json={"chat_id": "u1", "text": text})
        assert r.status_code == 400 and r.json()["error_code"] == 400
    r = await http.post(api(server, "sendMessage"), json={"chat_id": "u1", "text": "x" * 2000})
    assert r.status_code == 200

    r = await http.post(api(server, "sendMessage"), json={"chat_id": "stranger", "text": "hi"})
    assert r.status_code == 400 and "chat not found" in r.json()["description"]
    r = await http.post(api(server, "sendMessage"), json={"text": "hi"})
    assert r.status_code == 400

    r = await http.post(
        api(server, "sendMessage"), content=b"chat_id=u1", headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 400
    r = await http.post(
        api(server, "sendMessage"), content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400


async def test_blocked_user_gets_403(server, http):
    server.inject_text("u9", "hi")
    server.block("u9")
    r = await http.post(api(server, "sendMessage"), json={"chat_id": "u9", "text": "hello"})
    assert r.status_code == 403 and r.json()["error_code"] == 403
    assert server.texts("u9") == []


async def test_rate_limit_answers_429_with_retry_hint(http):
    async with FakeZaloServer(rate_limit=3) as srv:
        srv.inject_text("u1", "hi")
        statuses = []
        for i in range(5):
            r = await http.post(api(srv, "sendMessage"), json={"chat_id": "u1", "text": f"m{i}"})
            statuses.append(r.status_code)
        assert statuses == [200, 200, 200, 429, 429]
        body = r.json()
        assert body["error_code"] == 429 and body["parameters"]["retry_after"] >= 1
        assert r.headers["Retry-After"] == str(body["parameters"]["retry_after"])
        assert srv.rejected_429 == 2 and len(srv.texts("u1")) == 3


async def test_send_photo_sticker_and_chat_action(server, http):
    server.inject_text("u1", "hi")
    r = await http.post(api(server, "sendPhoto"), json={"chat_id": "u1", "photo": "not a url"})
    assert r.status_code == 400
    r = await http.post(
        api(server, "sendPhoto"),
        json={"chat_id": "u1", "photo": "https://placehold.co/1.png", "caption": "Ảnh"},
    )
    assert r.status_code == 200
    r = await http.post(api(server, "sendSticker"), json={"chat_id": "u1", "sticker": "0e07"})
    assert r.status_code == 200
    r = await http.post(api(server, "sendChatAction"), json={"chat_id": "u1", "action": "typing"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    r = await http.post(api(server, "sendChatAction"), json={"chat_id": "u1", "action": "dancing"})
    assert r.status_code == 400
    assert [m.method for m in server.messages("u1")] == ["sendPhoto", "sendSticker"]


async def test_served_image(server, http):
    upd = server.inject_image("u1", tiny_png())
    r = await http.get(upd["message"]["photo_url"])
    assert (
        r.status_code == 200 and r.content.startswith(b"\x89PNG") and r.headers["content-type"] == "image/png"
    )


async def _receiver(received: list, status: int = 200):
    async def handler(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.json()))
        return web.Response(status=status, text="ok")

    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/hook"


async def test_webhook_rules_and_delivery(server, http):
    received: list = []
    runner, url = await _receiver(received)
    try:
        r = await http.post(api(server, "setWebhook"), json={"url": url, "secret_token": "short"})
        assert r.status_code == 400
        r = await http.post(
            api(server, "setWebhook"), json={"url": "http://example.com/x", "secret_token": "s" * 8}
        )
        assert r.status_code == 400  # plain HTTP only for loopback
        r = await http.post(api(server, "setWebhook"), json={"url": url, "secret_token": "s" * 257})
        assert r.status_code == 400
        r = await http.post(api(server, "setWebhook"), json={"url": url, "secret_token": "bí-mật-123"})
        assert r.status_code == 200 and r.json()["result"]["url"] == url
        assert (await http.post(api(server, "getWebhookInfo"))).json()["result"]["url"] == url

        r = await http.post(api(server, "getUpdates"), json={"timeout": 1})
        assert r.status_code == 409  # no polling while a webhook is set

        upd = server.inject_text("u1", "qua webhook")
        await server.wait_idle(timeout=5, settle=0.1)
        assert len(received) == 1
        headers, body = received[0]
        assert headers[SECRET_HEADER] == "bí-mật-123"
        assert headers["Content-Type"].startswith("application/json")
        assert body == {"ok": True, "result": json.loads(json.dumps(upd))}
        assert server.deliveries[-1].status == 200

        r = await http.post(api(server, "deleteWebhook"))
        assert r.json()["result"]["url"] == ""
        server.inject_text("u1", "lại polling")
        r = await http.post(api(server, "getUpdates"), json={"timeout": 2})
        assert r.json()["result"]["message"]["text"] == "lại polling"
        assert len(received) == 1
    finally:
        await runner.cleanup()


async def test_webhook_retries_on_failure():
    received: list = []
    runner, url = await _receiver(received, status=500)
    try:
        async with FakeZaloServer(webhook_retries=2) as srv, httpx.AsyncClient() as http:
            await http.post(api(srv, "setWebhook"), json={"url": url, "secret_token": "12345678"})
            srv.inject_text("u1", "x")
            await srv.wait_idle(timeout=5, settle=0.1)
            assert len(received) == 3 and [d.status for d in srv.deliveries] == [500, 500, 500]
    finally:
        await runner.cleanup()


async def test_control_api(server, http):
    r = await http.post(f"{server.root_url}/_test/inject", json={"user_id": "u5", "text": "chào"})
    assert r.status_code == 200
    r = await http.post(api(server, "getUpdates"), json={"timeout": 2})
    assert r.json()["result"]["message"]["text"] == "chào"
    await http.post(api(server, "sendMessage"), json={"chat_id": "u5", "text": "đáp"})
    r = await http.get(f"{server.root_url}/_test/messages", params={"chat_id": "u5"})
    assert [m["text"] for m in r.json()["result"]] == ["đáp"]
    r = await http.post(f"{server.root_url}/_test/inject", json={"type": "video", "user_id": "u5"})
    assert r.status_code == 400
