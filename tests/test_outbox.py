"""bot/outbox.py: even pacing within the sliding window, the hooks the reminder ledger relies on,
error handling, and the limiter's restamp.

The channel senders here are tiny in-memory implementations of the ChannelSender interface
(the real adapters are tested against their fake Bot API servers in their own test files).
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time

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


# ------------------------------------------------------------------ even pacing
class VirtualTime:
    """A clock and a sleep for the limiter: sleeping advances the clock (plus a fixed overshoot)."""

    def __init__(self, overshoot: float = 0.0) -> None:
        self.now = 100.0
        self.overshoot = overshoot

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds) + self.overshoot
        await asyncio.sleep(0)


def gaps(stamps: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(stamps)]


def max_in_window(stamps: list[float], period: float) -> int:
    return max(sum(1 for t in stamps if s <= t < s + period) for s in stamps)


def assert_paced(stamps: list[float], interval: float, tolerance: float) -> None:
    """n + 1 consecutive starts span at least n intervals, less the tolerance: no burst, ever."""
    for i in range(len(stamps)):
        for j in range(i + 1, len(stamps)):
            assert stamps[j] - stamps[i] >= (j - i) * interval - tolerance - 1e-9, (i, j, stamps)


async def test_grants_are_spaced_by_the_interval_not_burst():
    t = VirtualTime()
    lim = SlidingWindowLimiter(100, 1.0, clock=t, interval=0.1, sleep=t.sleep)
    stamps = await asyncio.gather(*(lim.acquire() for _ in range(20)))
    assert stamps == sorted(stamps)
    assert min(gaps(stamps)[1:]) >= 0.1 - 1e-9  # a plain sliding window would grant all 20 at once
    assert_paced(stamps, 0.1, lim.tolerance)
    assert stamps[-1] - stamps[0] <= 1.9 + 1e-9  # ...and no slower than the interval


@pytest.mark.parametrize("overshoot", [0.0, 0.02, 0.05])
async def test_sleep_overshoot_does_not_erode_the_schedule(overshoot: float):
    t = VirtualTime(overshoot=overshoot)
    lim = SlidingWindowLimiter(100, 1.0, clock=t, interval=0.1, sleep=t.sleep)
    stamps = [await lim.acquire() for _ in range(21)]
    assert_paced(stamps, 0.1, lim.tolerance)
    # up to the tolerance (0.03 s here) lateness is forgiven; only what exceeds it is carried over
    erosion = max(0.0, overshoot - lim.tolerance)
    assert stamps[-1] - stamps[0] <= 20 * (0.1 + erosion) + overshoot + 1e-9


async def test_after_a_stall_no_catch_up_burst():
    t = VirtualTime()
    lim = SlidingWindowLimiter(100, 1.0, clock=t, interval=0.1, sleep=t.sleep)
    first = await lim.acquire()
    t.now += 5.0  # the event loop (or the channel) was idle/starved for 50 intervals
    late = await asyncio.gather(*(lim.acquire() for _ in range(6)))
    assert late[0] == first + 5.0  # no wait: nothing was sent recently
    assert_paced(late, 0.1, lim.tolerance)  # ...but the others do not rush out to catch up
    assert late[-1] - late[0] >= 0.5 - lim.tolerance - 1e-9


async def test_the_sliding_window_still_binds_when_spacing_allows_more():
    t = VirtualTime()
    lim = SlidingWindowLimiter(3, 1.0, clock=t, interval=0.1, sleep=t.sleep)
    stamps = await asyncio.gather(*(lim.acquire() for _ in range(9)))
    assert max_in_window(stamps, 1.0) == 3
    assert_paced(stamps, 0.1, lim.tolerance)
    assert stamps[3] - stamps[0] >= 1.0


async def test_pause_holds_then_resumes_evenly():
    t = VirtualTime()
    lim = SlidingWindowLimiter(100, 1.0, clock=t, interval=0.1, sleep=t.sleep)
    first = await lim.acquire()
    lim.pause(2.0)  # a 429 said "retry after 2 s"
    after = await asyncio.gather(*(lim.acquire() for _ in range(4)))
    assert after[0] >= first + 2.0
    assert_paced(after, 0.1, lim.tolerance)


class Clocked:
    """Records when each API call starts."""

    channel = "test"

    def __init__(self) -> None:
        self.starts: list[float] = []

    async def send(self, chat_id: str, reply: Reply) -> None:
        self.starts.append(time.monotonic())
        await asyncio.sleep(0.03)  # a round trip longer than the interval: calls overlap


async def test_outbox_starts_messages_evenly_within_the_window():
    """The outbox wires the limiter's spacing into real sends (the exact bounds are checked on a
    virtual clock above; real time on a loaded machine adds scheduling jitter, so the checks here
    are robust to a few late tasks: the median gap, and the window measured with slack)."""
    sender = Clocked()
    lim = RateLimit(rate=10, window=0.5, margin=0.02)  # 0.052 s apart, <= 10 per 0.52 s
    interval = (lim.window + lim.margin) / lim.rate
    box = Outbox({"test": sender}, {"test": lim})
    results = await box.send_many(outs(*(str(i) for i in range(20))), concurrency=64)
    assert all(r.ok for r in results)
    starts = sorted(sender.starts)
    # without spacing the sliding window alone would let 10 go at once (median gap ~0)
    assert statistics.median(gaps(starts)) >= 0.7 * interval
    assert max_in_window(starts, lim.window - 0.1) <= lim.rate
    assert starts[-1] - starts[0] >= 19 * interval * 0.7
