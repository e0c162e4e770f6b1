"""Zalo adapter pieces: rendering, splitting, the sender and its error mapping, event translation."""

from __future__ import annotations

import types

import pytest

from bot.channels.zalo import (
    CHOICE_COMMAND_HEADER,
    CHOICE_HEADER,
    CHOICE_WORDS_HEADER,
    UNSUPPORTED_TEXT,
    ZaloAdapter,
    ZaloReply,
    ZaloSender,
    build,
    map_error,
    render,
    split_text,
)
from bot.channels.zalo_client import ZaloApiError, ZaloClient, parse_update
from bot.config import Settings
from bot.messages import Attachment, Choice, Incoming, OutFile, Outgoing, Reply
from bot.outbox import (
    Outbox,
    PermanentSendError,
    RateLimit,
    RecipientBlocked,
    RetryAfter,
    TransientSendError,
)
from tests.fakes.zalo_server import DEFAULT_TOKEN, FakeZaloServer, tiny_png


# ----------------------------------------------------------------------------- splitting and rendering
def test_short_text_is_one_part():
    assert split_text("  Xin chào  ") == ["Xin chào"]
    assert split_text("") == [] and split_text("\n \n") == []


def test_split_on_paragraph_boundaries():
    paras = [f"Đoạn {i}: " + " ".join(["nội dung"] * 60) for i in range(12)]  # ~550 characters each
    text = "\n\n".join(paras)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(1 <= len(p) <= 2000 for p in parts)
    # no paragraph is cut: each part is a run of whole paragraphs
    rebuilt = [para for part in parts for para in part.split("\n\n")]
    assert rebuilt == paras


def test_split_long_paragraph_on_lines_then_words_then_hard():
    lines = "\n".join("dòng " + str(i) + " " + "x" * 90 for i in range(50))  # one paragraph, ~5,000 chars
    parts = split_text(lines)
    assert all(len(p) <= 2000 for p in parts) and len(parts) == 3
    assert "\n".join(parts).split("\n") == lines.split("\n")

    words = " ".join(["chữ"] * 1500)  # one line
    parts = split_text(words)
    assert all(len(p) <= 2000 for p in parts) and " ".join(parts) == words

    blob = "a" * 4500  # no boundary at all
    parts = split_text(blob)
    assert [len(p) for p in parts] == [2000, 2000, 500] and "".join(parts) == blob


def test_split_counts_composed_vietnamese():
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Hướng dẫn thực hiện " * 100)  # > 2,000 code points decomposed
    assert len(decomposed) > 2000
    parts = split_text(decomposed)
    assert len(parts) == 1 and parts[0] == unicodedata.normalize("NFC", decomposed).strip()


def test_render_choices_as_numbered_lines():
    reply = ZaloReply(
        "Đơn vị của bạn là Công an tỉnh?",
        choices=[Choice("Xác nhận", "reg:yes"), Choice("Chọn đơn vị khác", "reg:other"), Choice("Hủy", "x")],
    )
    (text,) = render(reply)
    assert text == (
        "Đơn vị của bạn là Công an tỉnh?\n\n" + CHOICE_HEADER + "\n1. Xác nhận\n2. Chọn đơn vị khác\n3. Hủy"
    )
    assert "<" not in text and "*" not in text and "reg:yes" not in text


def test_render_choices_as_words_when_numbers_are_answers():
    reply = ZaloReply("Khó khăn, vướng mắc?", [Choice("Bỏ qua", "skip")], style="words")
    (text,) = render(reply)
    assert text == "Khó khăn, vướng mắc?\n\n" + CHOICE_WORDS_HEADER + "\n- Bỏ qua"


def test_render_pushed_choices_as_commands_to_type():
    """A notification's choices were not recorded by the dispatcher: numbers would not work there."""
    notice = Reply(
        "Yêu cầu đăng ký mới: Nguyễn Văn A → Sở Y tế",
        [Choice("Duyệt", "/duyet ok 12"), Choice("Từ chối", "/duyet no 12")],
    )
    (text,) = render(notice)
    assert text.endswith(CHOICE_COMMAND_HEADER + "\n- Duyệt: /duyet ok 12\n- Từ chối: /duyet no 12")
    (text,) = render(Reply("Nhắc hạn", [Choice("Xem hạn", "deadline")]))
    assert text.endswith(CHOICE_WORDS_HEADER + "\n- Xem hạn") and "1." not in text


def test_render_long_text_with_choices_keeps_limit():
    reply = ZaloReply("a " * 999 + "kết thúc", choices=[Choice(f"Lựa chọn {i}", str(i)) for i in range(1, 6)])
    parts = render(reply)
    assert all(len(p) <= 2000 for p in parts)
    assert CHOICE_HEADER + "\n1. Lựa chọn 1\n" in parts[-1] and parts[-1].endswith("5. Lựa chọn 5")


def test_render_files_become_a_note():
    parts = render(Reply("Tổng hợp năm 2022", files=[OutFile("tonghop-2022.xlsx", b"x")]))
    assert len(parts) == 1 and "tonghop-2022.xlsx" in parts[0] and "không gửi được qua Zalo" in parts[0]
    assert render(Reply("")) == []


# ----------------------------------------------------------------------------- error mapping
@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (429, RetryAfter),
        (403, RecipientBlocked),
        (400, PermanentSendError),
        (401, PermanentSendError),
        (404, PermanentSendError),
        (500, TransientSendError),
        (502, TransientSendError),
    ],
)
def test_map_error(code, kind):
    err = map_error(ZaloApiError(code, "x", retry_after=3 if code == 429 else None))
    assert isinstance(err, kind)
    if code == 429:
        assert err.seconds == 3


# ----------------------------------------------------------------------------- the sender against the fake
@pytest.fixture
async def server():
    async with FakeZaloServer(rate_limit=4, rate_window=1.0) as srv:
        yield srv


@pytest.fixture
async def client(server):
    c = ZaloClient(DEFAULT_TOKEN, server.root_url, timeout=5)
    yield c
    await c.aclose()


async def test_outbox_delivers_multipart_reply_once_despite_429():
    """A 3-part reply hits the server's limit half-way: the outbox waits and nothing is sent twice."""
    async with FakeZaloServer(rate_limit=2, rate_window=1.0) as server:
        client = ZaloClient(DEFAULT_TOKEN, server.root_url, timeout=5)
        server.inject_text("u1", "hi")
        outbox = Outbox()
        outbox.register(ZaloSender(client), RateLimit(rate=100, per_chat_burst=100, per_chat_window=1.0))
        paras = [f"Phần {i}. " + " ".join(["nội dung"] * 200) for i in range(3)]  # ~1,800 chars each
        first = await outbox.send(Outgoing("zalo", "u1", Reply("\n\n".join(paras)), "zalo:u1"))
        second = await outbox.send(Outgoing("zalo", "u1", Reply("tin thứ hai"), "zalo:u1"))
        await client.aclose()
    assert (first.status, second.status) == ("sent", "sent")
    assert server.rejected_429 >= 1
    assert server.texts("u1") == [*paras, "tin thứ hai"]


async def test_outbox_retries_server_errors_and_delivers_once(server, client):
    server.inject_text("u1", "hi")
    server.fail_next("sendMessage", count=2, status=502)
    outbox = Outbox(backoff=0.05)
    outbox.register(ZaloSender(client))
    res = await outbox.send(Outgoing("zalo", "u1", Reply("sau sự cố"), "zalo:u1"))
    assert res.status == "sent" and server.texts("u1") == ["sau sự cố"]
    assert [c.status for c in server.calls if c.method == "sendMessage"] == [502, 502, 200]


async def test_closed_client_is_a_network_error(server):
    c = ZaloClient(DEFAULT_TOKEN, server.root_url)
    await c.aclose()
    with pytest.raises(TransientSendError):
        await ZaloSender(c).send("u1", Reply("x"))


async def test_outbox_blocked_and_refused(server, client):
    server.inject_text("u1", "hi")
    server.inject_text("u2", "hi")
    server.block("u2")
    blocked: list[str] = []
    outbox = Outbox(on_blocked=blocked.append)
    outbox.register(ZaloSender(client))
    res = await outbox.send(Outgoing("zalo", "u2", Reply("chào"), "zalo:u2"))
    assert res.status == "blocked" and blocked == ["zalo:u2"]
    res = await outbox.send(Outgoing("zalo", "stranger", Reply("chào"), "zalo:stranger"))
    assert res.status == "failed" and "chat not found" in res.error
    assert server.texts("u2") == []


# ----------------------------------------------------------------------------- event translation
def _adapter(client: ZaloClient, max_bytes: int = 100_000) -> ZaloAdapter:
    app = types.SimpleNamespace(settings=Settings(max_attachment_bytes=max_bytes))
    return ZaloAdapter(app, client)


async def test_text_and_image_become_incoming(server, client):
    adapter = _adapter(client)
    text = await adapter.to_incoming(
        parse_update(server.inject_text("u7", "/baocao", display_name="Lê Văn C"))
    )
    assert isinstance(text, Incoming)
    assert (text.channel, text.user_id, text.chat_id, text.text, text.display_name) == (
        "zalo",
        "u7",
        "u7",
        "/baocao",
        "Lê Văn C",
    )
    assert text.user_key == "zalo:u7" and text.message_id

    png = tiny_png()
    upd = parse_update(server.inject_image("u7", png, caption="ảnh mô hình"))
    msg = await adapter.to_incoming(upd)
    assert isinstance(msg, Incoming) and msg.text == "ảnh mô hình"
    (att,) = msg.attachments
    assert isinstance(att, Attachment)
    assert (att.data, att.mime_type, att.kind) == (png, "image/png", "photo")
    assert att.filename == f"zalo-{upd.message_id}.png"


async def test_image_too_large_or_unreachable_gets_a_vietnamese_reply(server, client):
    adapter = _adapter(client, max_bytes=1000)
    big = parse_update(server.inject_image("u7", b"\xff\xd8\xff" + b"\0" * 5000, content_type="image/jpeg"))
    reply = await adapter.to_incoming(big)
    assert isinstance(reply, Reply) and "Ảnh quá lớn" in reply.text
    gone = parse_update(server.inject_image("u7", photo_url=server.root_url + "/files/none.jpg"))
    reply = await adapter.to_incoming(gone)
    assert isinstance(reply, Reply) and "Không tải được ảnh" in reply.text


async def test_sticker_and_unsupported_get_polite_reply(server, client):
    adapter = _adapter(client)
    for upd in (server.inject_sticker("u8"), server.inject_unsupported("u8")):
        reply = await adapter.to_incoming(parse_update(upd))
        assert isinstance(reply, Reply) and reply.text == UNSUPPORTED_TEXT
        assert "chữ và hình ảnh" in reply.text


def test_build_is_none_without_token():
    app = types.SimpleNamespace(settings=Settings(), outbox=Outbox())
    assert build(app) is None and app.outbox.channels == []


async def test_build_registers_the_sender():
    app = types.SimpleNamespace(settings=Settings(zalo_token="1:abc", zalo_rate=7), outbox=Outbox())
    adapter = build(app)
    try:
        assert adapter is not None and adapter.mode == "polling" and app.outbox.channels == ["zalo"]
    finally:
        await adapter.client.aclose()


# ----------------------------------------------------------------------------- start-up problems
async def test_start_refuses_a_wrong_token(server):
    from bot.config import ConfigError

    adapter = _adapter(ZaloClient("1:wrong-token", server.root_url))
    with pytest.raises(ConfigError, match="ZALO_BOT_TOKEN không hợp lệ"):
        await adapter.start(None)
    await adapter.client.aclose()


async def test_webhook_mode_needs_the_http_server_and_a_valid_url(server, tmp_path):
    from bot.config import ConfigError
    from bot.outbox import Outbox
    from bot.storage.db import make_engine
    from bot.storage.migrations import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    upgrade(engine)
    app = types.SimpleNamespace(settings=Settings(), outbox=Outbox(), engine=engine)
    adapter = ZaloAdapter(
        app,
        ZaloClient(DEFAULT_TOKEN, server.root_url),
        webhook_url="http://127.0.0.1:9/zalo",
        webhook_secret="12345678",
    )
    with pytest.raises(ConfigError, match="WEBHOOK_LISTEN"):
        await adapter.start(None)
    from bot.http import WebServer

    adapter.webhook_url = "http://example.org/zalo"  # the platform wants HTTPS
    web = WebServer("127.0.0.1", 0)
    await adapter.start(web)  # setWebhook runs once the server listens
    with pytest.raises(ConfigError, match="setWebhook"):
        await web.start()
    assert server.webhook_url == ""
    await adapter.stop()
    await web.stop()
