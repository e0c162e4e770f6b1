"""bot/outbox.py: the hooks the reminder ledger relies on, error handling, and the limiter's restamp.

The channel senders here are tiny in-memory implementations of the ChannelSender interface
(the real adapters are tested against their fake Bot API servers in their own test files).
"""

from __future__ import annotations

import asyncio

import pytest

from bot.messages import Outgoing, Reply
from bot.outbox import (
    DeliveryResult,
    Outbox,
    PermanentSendError,
    RateLimit,
    RecipientBlocked,
    SlidingWindowLimiter,
    TransientSendError,
)


class Recorder:
    channel = "test"

    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.sent: list[str] = []
        self.fail = fail or {}

    async def send(self, chat_id: str, reply: Reply) -> None:
        exc = self.fail.get(chat_id)
        if exc is not None:
            raise exc
        self.sent.append(chat_id)


FAST = RateLimit(rate=1000, per_chat_burst=10, per_chat_window=1.0)


def outs(*chats: str) -> list[Outgoing]:
    return [Outgoing("test", c, Reply(f"hi {c}"), f"test:{c}") for c in chats]


async def test_before_send_can_skip_and_on_result_sees_every_result():
    sender = Recorder()
    box = Outbox({"test": sender}, {"test": FAST})
    seen: list[DeliveryResult] = []

    async def before(out: Outgoing) -> bool:
        assert out.chat_id not in sender.sent  # called before the API call
        return out.chat_id != "b"

    async def on_result(res: DeliveryResult) -> None:
        seen.append(res)

    results = await box.send_many(outs("a", "b", "c"), before_send=before, on_result=on_result)
    assert [r.status for r in results] == ["sent", "skipped", "sent"]
    assert sender.sent == ["a", "c"]
    assert sorted(r.outgoing.chat_id for r in seen) == ["a", "b", "c"]


async def test_before_send_failure_means_not_sent_and_retryable():
    sender = Recorder()
    box = Outbox({"test": sender}, {"test": FAST})

    async def broken(_out: Outgoing) -> bool:
        raise RuntimeError("database down")

    res = await box.send(outs("a")[0], before_send=broken)
    assert res.status == "failed" and res.retryable and "database down" in res.error
    assert sender.sent == []


async def test_errors_are_results_not_exceptions():
    sender = Recorder(
        {
            "blocked": RecipientBlocked("403"),
            "bad": PermanentSendError("400"),
            "net": TransientSendError("timeout"),
            "bug": KeyError("oops"),
        }
    )
    blocked_keys: list[str] = []
    box = Outbox(
        {"test": sender}, {"test": FAST}, on_blocked=blocked_keys.append, max_attempts=2, backoff=0.01
    )
    results = await box.send_many(outs("ok", "blocked", "bad", "net", "bug"))
    by_chat = {r.outgoing.chat_id: r for r in results}
    assert by_chat["ok"].ok
    assert by_chat["blocked"].status == "blocked" and blocked_keys == ["test:blocked"]
    assert by_chat["bad"].status == "failed" and not by_chat["bad"].retryable
    assert by_chat["net"].status == "failed" and by_chat["net"].retryable
    assert by_chat["bug"].status == "failed" and "KeyError" in by_chat["bug"].error


async def test_accessors():
    sender = Recorder()
    box = Outbox({"test": sender}, {"test": FAST})
    assert box.sender("test") is sender and box.limit("test") == FAST
    assert box.sender("zalo") is None and box.limit("zalo") is None


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_restamp_moves_a_slot_to_the_real_send_time():
    t = FakeTime()
    lim = SlidingWindowLimiter(2, 1.0, clock=t)
    s1 = await lim.acquire()
    t.now = 100.5
    assert lim.restamp(s1)  # the message really left at 100.5
    await lim.acquire()  # second slot at 100.5
    t.now = 101.2  # 100.0 + 1.0 passed, but the first slot now counts from 100.5
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(lim.acquire(), 0.05)


async def test_restamp_of_an_expired_slot_says_so():
    t = FakeTime()
    lim = SlidingWindowLimiter(1, 1.0, clock=t)
    s1 = await lim.acquire()
    t.now = 102.0
    await lim.acquire()  # pops the expired stamp
    assert lim.restamp(s1) is False
