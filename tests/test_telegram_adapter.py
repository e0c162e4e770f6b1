"""bot/channels/telegram.py: configuration, start-up failures, ordering, graceful stop."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from types import SimpleNamespace

import pytest
from telegram import Chat, Message, Update, User

from bot.channels import telegram
from bot.channels.telegram import PerUserUpdateProcessor, too_big_text
from bot.config import ConfigError, Settings
from bot.messages import Reply
from bot.outbox import Outbox
from tests.fakes.telegram_harness import TelegramHarness, free_port
from tests.fakes.telegram_server import FakeTelegramServer


def fake_app(**settings) -> SimpleNamespace:
    return SimpleNamespace(settings=Settings(**settings), outbox=Outbox(), dispatcher=None, store=None)


def test_build_is_none_without_token_and_checks_webhook_secret():
    assert telegram.build(fake_app()) is None
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        telegram.build(fake_app(telegram_token="1:x", telegram_webhook_url="https://bot.example.vn/tg"))
    adapter = telegram.build(fake_app(telegram_token="1:x", telegram_api_url="http://127.0.0.1:9"))
    assert adapter is not None and adapter.mode == "polling"
    assert adapter.bot.base_url == "http://127.0.0.1:9/bot1:x"
    assert adapter.bot.base_file_url == "http://127.0.0.1:9/file/bot1:x"


def test_too_big_text_is_vietnamese_with_sizes():
    text = too_big_text("bao-cao.pdf", 12_900_000, 10 * 1024 * 1024)
    assert text.startswith("Tệp «bao-cao.pdf» quá lớn (12,3 MB); giới hạn là 10 MB.")


async def test_wrong_token_stops_start_up_with_a_clear_message():
    fake = FakeTelegramServer()
    await fake.start()
    try:
        adapter = telegram.build(fake_app(telegram_token="42:wrong", telegram_api_url=fake.api_root))
        with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN bị Telegram Bot API từ chối"):
            await adapter.start(None)
    finally:
        await fake.stop()


async def test_unreachable_api_stops_start_up_with_a_clear_message():
    port = free_port()
    adapter = telegram.build(fake_app(telegram_token="1:x", telegram_api_url=f"http://127.0.0.1:{port}"))
    adapter.connect_attempts = 1
    with pytest.raises(ConfigError, match=f"Không kết nối được Telegram Bot API tại http://127.0.0.1:{port}"):
        await adapter.start(None)


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "U", False)
    msg = Message(update_id, None, Chat(user_id, "private"), from_user=user, text=str(update_id))
    return Update(update_id, message=msg)


async def test_updates_of_one_user_stay_in_order_others_run_concurrently():
    proc = PerUserUpdateProcessor(16)
    log: list[str] = []

    async def work(name: str, delay: float) -> None:
        log.append(f"start {name}")
        await asyncio.sleep(delay)
        log.append(f"end {name}")

    await asyncio.gather(
        proc.process_update(_update(1, 100), work("a1", 0.05)),
        proc.process_update(_update(2, 100), work("a2", 0.0)),
        proc.process_update(_update(3, 200), work("b1", 0.0)),
    )
    assert log.index("end a1") < log.index("start a2")  # same user: strictly one after the other
    assert log.index("end b1") < log.index("end a1")  # another user did not wait
    assert proc._locks == {}  # no lock left behind


async def test_stop_finishes_the_update_in_progress(tmp_path, pack, qa_engine, clock):
    async with TelegramHarness.running(tmp_path, pack=pack, qa=qa_engine, clock=clock) as h:
        started = asyncio.Event()

        async def slow(incoming):
            started.set()
            await asyncio.sleep(0.5)
            return [Reply(f"Đã xử lý: {incoming.text}")]

        h.app.dispatcher.handle = slow
        h.fake.send_text(1001, "việc dài")
        await asyncio.wait_for(started.wait(), 10)
        await h.adapter.stop()  # what SIGTERM leads to
        assert h.fake.texts(1001) == ["Đã xử lý: việc dài"]
        assert h.fake.pending_updates == 0  # confirmed to Telegram before exiting: not fetched twice


async def test_webhook_needs_the_http_server(tmp_path):
    app = fake_app(
        telegram_token="1:x",
        telegram_api_url="http://127.0.0.1:9",
        telegram_webhook_url="https://bot.example.vn/tg",
        telegram_webhook_secret="s",
    )
    adapter = telegram.build(app)
    assert adapter.mode == "webhook"
    adapter.connect_attempts = 1
    fake = FakeTelegramServer("1:x")
    await fake.start()
    try:
        adapter = telegram.build(replace_settings(app, telegram_api_url=fake.api_root))
        with pytest.raises(ConfigError, match="WEBHOOK_LISTEN"):
            await adapter.start(None)
        assert not adapter.application.running  # cleaned up after the failed start
    finally:
        await fake.stop()


def replace_settings(app: SimpleNamespace, **changes) -> SimpleNamespace:
    return SimpleNamespace(**{**vars(app), "settings": replace(app.settings, **changes)})
