"""The fake Telegram Bot API enforces Telegram's rules (so the e2e tests mean something).

Driven both with raw HTTP (exact status codes and descriptions) and with
python-telegram-bot's own ``Bot`` (so PTB understands every answer it gives).
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

from tests.fakes.telegram_html import HtmlParseError, parse_html
from tests.fakes.telegram_server import DEFAULT_TOKEN, SECRET_HEADER, FakeTelegramServer


@pytest.fixture
async def fake():
    server = FakeTelegramServer()
    await server.start()
    server.add_user(1001, "An")
    yield server
    await server.stop()


@pytest.fixture
async def http(fake):
    async with httpx.AsyncClient(base_url=f"{fake.api_root}/bot{DEFAULT_TOKEN}/", timeout=30) as client:
        yield client


@pytest.fixture
async def bot(fake):
    b = Bot(DEFAULT_TOKEN, base_url=f"{fake.api_root}/bot", base_file_url=f"{fake.api_root}/file/bot")
    async with b:
        yield b


async def call(http: httpx.AsyncClient, method: str, **params) -> tuple[int, dict]:
    resp = await http.post(method, json=params)
    return resp.status_code, resp.json()


# ----------------------------------------------------------------- HTML parser
def test_html_parser_entities_in_utf16_offsets():
    text, entities = parse_html('Chào <b>bạn</b> 😀 <a href="https://x.vn/a?b=1&amp;c=2">link</a> &lt;3')
    assert text == "Chào bạn 😀 link <3"
    assert entities[0] == {"type": "bold", "offset": 5, "length": 3}
    # the emoji counts as two UTF-16 code units
    assert entities[1] == {"type": "text_link", "offset": 12, "length": 4, "url": "https://x.vn/a?b=1&c=2"}


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("a < b", "Empty tag name"),
        ("<foo>x</foo>", 'Unsupported start tag "foo"'),
        ("<b>x", "Can't find end tag"),
        ("<b>x</i>", "Unmatched end tag"),
        ("x</b>", "Unexpected end tag"),
        ("<b x", "Unclosed start tag"),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("R&D", 'Unescaped "&"'),
        ("a > b", 'Unescaped ">"'),
    ],
)
def test_html_parser_refuses_what_telegram_refuses(html, reason):
    with pytest.raises(HtmlParseError, match=reason):
        parse_html(html)


def test_html_parser_lenient_mode_is_telegram_exactly():
    assert parse_html("R&D > 2 &foo;", strict=False) == ("R&D > 2 &foo;", [])
    with pytest.raises(HtmlParseError):
        parse_html("a <b", strict=False)


# ------------------------------------------------------------------ messages
async def test_wrong_token_and_unknown_method(fake):
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(f"{fake.api_root}/bot123:wrong/getMe")
        assert r.status_code == 401 and r.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
        r = await client.post(f"{fake.api_root}/bot{DEFAULT_TOKEN}/sendTelepathy")
        assert r.status_code == 404
    with pytest.raises(InvalidToken):
        async with Bot("123:wrong", base_url=f"{fake.api_root}/bot"):
            pass


async def test_send_message_rules(http, fake):
    status, body = await call(http, "sendMessage", chat_id=999, text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    status, body = await call(http, "sendMessage", chat_id=1001, text="   ")
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = await call(http, "sendMessage", chat_id=1001, text="x" * 4097)
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    status, body = await call(http, "sendMessage", chat_id=1001, text="Câu hỏi: a < b?", parse_mode="HTML")
    assert status == 400 and body["description"].startswith("Bad Request: can't parse entities")
    # 4,096 characters *after* entity parsing are fine, whatever the markup adds
    status, body = await call(
        http, "sendMessage", chat_id=1001, text="<b>" + "đ" * 4096 + "</b>", parse_mode="HTML"
    )
    assert status == 200, body
    assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4096}]
    status, _ = await call(
        http, "sendMessage", chat_id=1001, text="<b>" + "đ" * 4097 + "</b>", parse_mode="HTML"
    )
    assert status == 400
    assert fake.texts(1001) == ["đ" * 4096]
    assert len(fake.api_errors()) == 5


async def test_callback_data_limit_is_64_bytes(http, fake):
    ok = "ế" * 21  # 63 bytes
    too_long = "ế" * 22  # 66 bytes, 22 characters
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": ok}]]}
    status, _ = await call(http, "sendMessage", chat_id=1001, text="chọn", reply_markup=markup)
    assert status == 200
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": too_long}]]}
    status, body = await call(http, "sendMessage", chat_id=1001, text="chọn", reply_markup=markup)
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    markup = {"inline_keyboard": [[{"text": "", "callback_data": "x"}]]}
    status, body = await call(http, "sendMessage", chat_id=1001, text="chọn", reply_markup=markup)
    assert status == 400
    # form-encoded JSON, as python-telegram-bot sends it
    r = await http.post("sendMessage", data={"chat_id": "1001", "text": "x", "reply_markup": "{not json"})
    assert r.status_code == 400 and "reply keyboard markup" in r.json()["description"]


async def test_blocked_and_not_started_users_answer_403(bot, fake):
    fake.block(1001)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(1001, "xin chào")
    fake.add_user(1002, started=False)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(1002, "xin chào")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "xin chào")
    # writing to the bot again unblocks it
    fake.send_text(1001, "chào bot")
    await bot.send_message(1001, "chào bạn")
    assert fake.texts(1001) == ["chào bạn"]


async def test_global_rate_limit_answers_429_with_retry_after():
    fake = FakeTelegramServer(rate=5, rate_window=1.0)
    await fake.start()
    try:
        for uid in range(1, 8):
            fake.add_user(uid)
        async with httpx.AsyncClient(base_url=f"{fake.api_root}/bot{DEFAULT_TOKEN}/") as http:
            statuses = [(await call(http, "sendMessage", chat_id=uid, text="x"))[0] for uid in range(1, 8)]
            assert statuses == [200] * 5 + [429] * 2
            status, body = await call(http, "sendMessage", chat_id=7, text="x")
            assert status == 429 and body["parameters"]["retry_after"] >= 1
            assert body["description"].startswith("Too Many Requests: retry after")
        assert fake.count_429 == 3
        assert sum(len(fake.messages(uid)) for uid in range(1, 8)) == 5  # refused ones not delivered
    finally:
        await fake.stop()


async def test_per_chat_rate_limit(bot, fake):
    for i in range(3):
        await bot.send_message(1001, f"tin {i}")
    with pytest.raises(RetryAfter):
        await bot.send_message(1001, "tin 4")
    fake.add_user(1002)
    await bot.send_message(1002, "chat khác vẫn gửi được")
    assert fake.count_429 == 1


async def test_edit_and_answer_callback(bot, fake):
    kb = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Có", callback_data="yes"), InlineKeyboardButton("Không", callback_data="no")]]
    )
    sent = await bot.send_message(1001, "Bạn chắc chứ?", reply_markup=kb)
    with pytest.raises(LookupError):
        fake.press(1001, sent.message_id, text="Có lẽ")
    fake.press(1001, sent.message_id, text="Có")
    assert len(fake.unanswered_callbacks()) == 1
    updates = await bot.get_updates(timeout=1)
    query = updates[-1].callback_query
    assert query.data == "yes" and query.message.message_id == sent.message_id
    assert query.message.reply_markup.inline_keyboard[0][0].text == "Có"
    await query.answer()
    assert fake.unanswered_callbacks() == []
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer()
    await bot.edit_message_text("Bạn chắc chứ?\n→ Có", chat_id=1001, message_id=sent.message_id)
    msg = fake.messages(1001)[0]
    assert msg.buttons == [] and msg.text.endswith("→ Có") and msg.history == ["Bạn chắc chứ?"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Bạn chắc chứ?\n→ Có", chat_id=1001, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=9999)
    with pytest.raises(LookupError):  # no keyboard on screen any more
        fake.press(1001, sent.message_id, text="Không")


async def test_callback_queries_expire():
    fake = FakeTelegramServer(callback_ttl=0.05)
    await fake.start()
    try:
        user = fake.add_user(5)
        async with Bot(DEFAULT_TOKEN, base_url=f"{fake.api_root}/bot") as bot:
            sent = await bot.send_message(
                user.id,
                "?",
                reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]]),
            )
            fake.press(user.id, sent.message_id, data="ok")
            (update,) = await bot.get_updates()
            await asyncio.sleep(0.1)
            with pytest.raises(BadRequest, match="Query is too old"):
                await update.callback_query.answer()
    finally:
        await fake.stop()


async def test_get_updates_long_poll_offset_and_allowed_updates(bot, fake):
    assert await bot.get_updates(timeout=0) == ()
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, fake.send_text, 1001, "/start")
    started = loop.time()
    updates = await bot.get_updates(timeout=5)
    assert loop.time() - started < 3
    assert [u.message.text for u in updates] == ["/start"]
    # not confirmed yet: delivered again
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]
    # confirmed by the offset
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    fake.send_text(1001, "câu hỏi")
    msg = await bot.send_message(
        1001, "?", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    )
    fake.press(1001, msg.message_id, text="A")
    only_messages = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert [u.message.text for u in only_messages] == ["câu hỏi"]


async def test_second_get_updates_ends_the_first_with_conflict(http, fake):
    first = asyncio.create_task(call(http, "getUpdates", timeout=5))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(call(http, "getUpdates", timeout=0))
    status, body = await first
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    assert (await second)[0] == 200


async def test_webhook_delivery_with_secret_and_retry(fake, http):
    received: list[tuple[str | None, dict]] = []
    answers = [500, 200, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=answers.pop(0) if answers else 200)

    app = web.Application()
    app.router.add_post("/tg/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        status, body = await call(
            http, "setWebhook", url=f"http://127.0.0.1:{port}/tg/hook", secret_token="bad secret!"
        )
        assert status == 400 and "unallowed characters" in body["description"]
        status, _ = await call(
            http, "setWebhook", url=f"http://127.0.0.1:{port}/tg/hook", secret_token="s3cr3t_-X"
        )
        assert status == 200
        status, body = await call(http, "getUpdates")
        assert status == 409
        first = fake.send_text(1001, "một")
        second = fake.send_text(1001, "hai")
        await fake.wait_updates_taken(timeout=10)
        assert [u["update_id"] for _, u in received] == [first, first, second]  # 500 → redelivered
        assert {h for h, _ in received} == {"s3cr3t_-X"}
        status, body = await call(http, "getWebhookInfo")
        assert body["result"]["url"].endswith("/tg/hook")
        assert "500" in body["result"]["last_error_message"]
        assert body["result"]["pending_update_count"] == 0
        await call(http, "deleteWebhook")
        status, body = await call(http, "getUpdates", timeout=0)
        assert (status, body["result"]) == (200, [])
    finally:
        await runner.cleanup()


async def test_documents_get_file_and_download(bot, fake):
    data = "Báo cáo năm 2024\n".encode() * 100
    uid = fake.send_document(1001, data, "bao-cao.txt", "text/plain", caption="đính kèm")
    (update,) = await bot.get_updates()
    assert update.update_id == uid
    doc = update.message.document
    assert (doc.file_name, doc.file_size, update.message.caption) == ("bao-cao.txt", len(data), "đính kèm")
    tg_file = await bot.get_file(doc.file_id)
    assert bytes(await tg_file.download_as_bytearray()) == data
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")
    fake.send_photo(1001, b"\xff\xd8jpeg-bytes" * 50)
    (update,) = await bot.get_updates(offset=uid + 1)
    biggest = update.message.photo[-1]
    assert (
        bytes(await (await bot.get_file(biggest.file_id)).download_as_bytearray())
        == b"\xff\xd8jpeg-bytes" * 50
    )
    sent = await bot.send_document(
        1001, b"%PDF-1.4 fake", filename="ket-qua.pdf", caption="<b>Kết quả</b>", parse_mode="HTML"
    )
    assert sent.document.file_name == "ket-qua.pdf"
    assert fake.messages(1001)[-1].text == "Kết quả"
    with pytest.raises(BadRequest, match="File must be non-empty"):
        await bot.send_document(1001, b"", filename="empty.txt")


async def test_commands_and_chat_actions(bot, fake, http):
    from telegram import BotCommand

    await bot.set_my_commands([BotCommand("baocao", "Nộp báo cáo năm"), BotCommand("start", "Bắt đầu")])
    assert [c.command for c in await bot.get_my_commands()] == ["baocao", "start"]
    status, body = await call(http, "setMyCommands", commands=[{"command": "Bao-Cao", "description": "x"}])
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")
    status, _ = await call(http, "setMyCommands", commands=[{"command": "ok", "description": ""}])
    assert status == 400
    await bot.send_chat_action(1001, "typing")
    assert fake.chat_actions == [(1001, "typing")]
    status, body = await call(http, "sendChatAction", chat_id=1001, action="dancing")
    assert status == 400


async def test_control_api_for_manual_runs(fake):
    async with httpx.AsyncClient(base_url=f"{fake.api_root}/_test/", timeout=10) as c:
        r = await c.post("message", json={"user_id": 77, "text": "xin chào"})
        assert r.status_code == 200 and r.json()["update_id"] > 0
        stats = (await c.get("stats")).json()
        assert stats["pending_updates"] == 1 and stats["count_429"] == 0
        r = await c.post("press", json={"user_id": 77, "text": "không có"})
        assert r.status_code == 400
    assert json.dumps(fake.messages(77)) == "[]"
