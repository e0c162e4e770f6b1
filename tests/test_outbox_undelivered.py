"""bot/outbox.py: ``on_undelivered`` — a failure that proves nothing was delivered is reported before the
outbox waits, and ``before_send`` runs again before the retry; an ambiguous failure (timeout, a reply
partly sent) is never reported as undelivered (issue 14, item 2)."""

from __future__ import annotations

from bot.messages import Outgoing, Reply
from bot.outbox import Outbox, RateLimit, RetryAfter, SendError, TransientSendError

FAST = RateLimit(rate=1000, per_chat_burst=10, per_chat_window=1.0)


class Scripted:
    """Raises the scripted errors one per call, then succeeds; records the order of events."""

    channel = "test"

    def __init__(self, errors: list[SendError], log: list[str]) -> None:
        self.errors = list(errors)
        self.log = log

    async def send(self, chat_id: str, reply: Reply) -> None:
        if self.errors:
            exc = self.errors.pop(0)
            self.log.append(f"api:{type(exc).__name__}")
            raise exc
        self.log.append("api:ok")


async def _send(errors: list[SendError]) -> tuple[str, list[str]]:
    log: list[str] = []
    box = Outbox({"test": Scripted(errors, log)}, {"test": FAST}, backoff=0.01)

    async def before(_out: Outgoing) -> bool:
        log.append("before")
        return True

    async def undelivered(_out: Outgoing, error: str) -> None:
        log.append("undelivered")

    res = await box.send(
        Outgoing("test", "a", Reply("hi"), "test:a"), before_send=before, on_undelivered=undelivered
    )
    return res.status, log


async def test_429_and_5xx_are_recorded_before_the_wait_and_before_send_runs_again():
    status, log = await _send([RetryAfter(0.05), TransientSendError("502 Bad Gateway", undelivered=True)])
    assert status == "sent"
    assert log == [
        "before",
        "api:RetryAfter",
        "undelivered",
        "before",
        "api:TransientSendError",
        "undelivered",
        "before",
        "api:ok",
    ]


async def test_a_timeout_may_have_delivered_so_nothing_is_reported_after_it():
    status, log = await _send([TransientSendError("timed out"), RetryAfter(0.05)])
    assert status == "sent"
    assert log == ["before", "api:TransientSendError", "api:RetryAfter", "api:ok"]


async def test_a_partly_sent_reply_is_not_undelivered():
    exc = RetryAfter(0.05)
    exc.partial = True
    status, log = await _send([exc])
    assert status == "sent" and log == ["before", "api:RetryAfter", "api:ok"]


async def test_a_failing_hook_stops_with_a_retryable_failure():
    log: list[str] = []
    box = Outbox({"test": Scripted([RetryAfter(0.05)], log)}, {"test": FAST})

    async def broken(_out: Outgoing, _error: str) -> None:
        raise RuntimeError("database down")

    res = await box.send(Outgoing("test", "a", Reply("hi"), "test:a"), on_undelivered=broken)
    assert res.status == "failed" and res.retryable and "database down" in res.error
    assert log == ["api:RetryAfter"]
