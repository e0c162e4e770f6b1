"""The outbox's Telegram sender against the strict fake Bot API: calls, error mapping, resume."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut
from telegram.error import RetryAfter as TgRetryAfter

from bot.channels.telegram_render import CallbackTokens
from bot.channels.telegram_sender import TelegramSender, translate_error
from bot.messages import Choice, OutFile, Outgoing, Reply
from bot.outbox import (
    Outbox,
    PermanentSendError,
    RateLimit,
    RecipientBlocked,
    RetryAfter,
    TransientSendError,
)
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegramServer


async def make(fake: FakeTelegramServer) -> tuple[Bot, TelegramSender]:
    bot = Bot(DEFAULT_TOKEN, base_url=f"{fake.api_root}/bot", base_file_url=f"{fake.api_root}/file/bot")
    await bot.initialize()
    return bot, TelegramSender(bot, CallbackTokens(), rate=1000)


@pytest.fixture
async def fake():
    server = FakeTelegramServer()
    await server.start()
    server.add_user(1, "An")
    yield server
    await server.stop()


async def test_text_keyboard_and_file(fake):
    bot, sender = await make(fake)
    try:
        await sender.send("1", Reply("Giá trị < 5 & > 2?", [Choice("Đúng", "y"), Choice("Sai", "n")]))
        await sender.send("1", Reply("", files=[OutFile("tong-hop-2025.xlsx", b"PK\x03\x04data")]))
        first, second = fake.messages(1)
        assert first.text == "Giá trị < 5 & > 2?" and first.buttons == [("Đúng", "y"), ("Sai", "n")]
        assert second.document["file_name"] == "tong-hop-2025.xlsx"
        assert fake.api_errors() == []
    finally:
        await bot.shutdown()


async def test_errors_are_translated(fake):
    bot, sender = await make(fake)
    try:
        fake.block(1)
        with pytest.raises(RecipientBlocked, match="blocked"):
            await sender.send("1", Reply("x"))
        with pytest.raises(RecipientBlocked, match="not found"):
            await sender.send("777", Reply("x"))
        fake.block(1, False)
        # a 400 about the message itself (the sender never produces one: provoke it directly)
        with pytest.raises(BadRequest) as info:
            await bot.send_message(1, "<b>", parse_mode="HTML")
        assert isinstance(translate_error(info.value), PermanentSendError)
        assert isinstance(translate_error(TimedOut()), TransientSendError)
        assert isinstance(translate_error(NetworkError("Bad Gateway")), TransientSendError)
        assert isinstance(translate_error(Forbidden("Forbidden: user is deactivated")), RecipientBlocked)
        assert translate_error(TgRetryAfter(7)).seconds == 7
    finally:
        await bot.shutdown()


async def test_retry_after_and_resume_without_duplicates():
    fake = FakeTelegramServer(per_chat_rate=2, per_chat_window=0.5)
    await fake.start()
    fake.add_user(1)
    bot, sender = await make(fake)
    try:
        reply = Reply("\n\n".join(["a" * 4000, "b" * 4090, "c" * 10]))
        with pytest.raises(RetryAfter) as info:
            await sender.send("1", reply)
        assert info.value.seconds >= 1
        assert fake.texts(1) == ["a" * 4000, "b" * 4090]
        await asyncio.sleep(0.6)
        await sender.send("1", reply)  # the outbox's retry: resumes with the third part
        assert fake.texts(1) == ["a" * 4000, "b" * 4090, "c" * 10]
        # the same Reply object to another chat starts from its beginning (broadcasts share replies)
        fake.add_user(2)
        await sender.send("2", Reply("x"))
        assert fake.texts(2) == ["x"]
    finally:
        await bot.shutdown()
        await fake.stop()


async def test_network_error_is_transient():
    fake = FakeTelegramServer()
    await fake.start()
    fake.add_user(1)
    bot, sender = await make(fake)
    await fake.stop()  # the API goes away
    try:
        with pytest.raises(TransientSendError):
            await sender.send("1", Reply("x"))
    finally:
        await bot.shutdown()


async def test_outbox_with_sender_marks_blocked_and_delivers_through_429s():
    fake = FakeTelegramServer(rate=10, rate_window=1.0)
    await fake.start()
    blocked: list[str] = []
    try:
        for uid in range(1, 26):
            fake.add_user(uid)
        fake.block(5)
        bot, sender = await make(fake)
        outbox = Outbox(on_blocked=blocked.append, backoff=0.05)
        # an outbox allowing more than the server: 429s happen and are absorbed
        outbox.register(sender, RateLimit(rate=25, per_chat_burst=3))
        results = await outbox.send_many(
            [Outgoing("telegram", str(uid), Reply(f"tin {uid}"), f"telegram:{uid}") for uid in range(1, 26)]
        )
        assert [r.status for r in results].count("sent") == 24
        assert blocked == ["telegram:5"]
        assert fake.count_429 > 0
        assert all(fake.texts(uid) == [f"tin {uid}"] for uid in range(1, 26) if uid != 5)
        await bot.shutdown()
    finally:
        await fake.stop()


async def test_the_sender_does_not_pace_the_outbox_does(fake):
    """One pacer per channel, in the outbox: the sender makes its calls at once, whatever its rate."""
    for uid in (2, 3, 4):
        fake.add_user(uid)
    bot = Bot(DEFAULT_TOKEN, base_url=f"{fake.api_root}/bot", base_file_url=f"{fake.api_root}/file/bot")
    await bot.initialize()
    try:
        sender = TelegramSender(bot, CallbackTokens(), rate=1)  # its old pacer: 1.03 s between calls
        start = time.monotonic()
        for uid in (1, 2, 3):
            await sender.send(str(uid), Reply("nhanh"))
        assert time.monotonic() - start < 1.0
        outbox = Outbox()
        outbox.register(sender, RateLimit(rate=4, window=0.2, margin=0.0))  # 0.05 s apart
        start = time.monotonic()
        results = await outbox.send_many(
            [Outgoing("telegram", str(uid), Reply("đều"), f"telegram:{uid}") for uid in (1, 2, 3, 4)]
        )
        assert all(r.ok for r in results)
        assert time.monotonic() - start >= 3 * 0.05 - 0.3 * 0.05  # the outbox forgives 30 % lateness once
        assert fake.count_429 == 0
    finally:
        await bot.shutdown()
