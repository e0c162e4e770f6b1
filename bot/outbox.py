"""The one sending path: every message the bot sends goes through :class:`Outbox`.

Replies, broadcasts (``/thongbao``) and reminders share it, so each channel's rate
limits hold whatever the mix.  A channel adapter provides a :class:`ChannelSender`
that performs one API call and translates the transport's errors into the
exceptions below; the outbox paces, retries and reports.

Pacing — the outbox is the *only* place that paces; senders just send.  Per channel,
messages start evenly, ``(window + margin) / rate`` seconds apart (spaced by actual
start times: the event loop's small lateness is forgiven, up to 30 % of the interval,
but after a stall the waiting messages do not rush out together; see
:class:`SlidingWindowLimiter`), and never more than ``rate`` in any sliding window of
``window + margin`` seconds.  Per chat, at most ``per_chat_burst`` messages per
``per_chat_window + margin`` seconds.  A 429 pauses the whole channel for ``retry_after``; a 403 (the user
blocked the bot) marks the recipient inactive and is not retried; network errors
are retried with exponential backoff.  Slots are granted one at a time, so with even
spacing at most one message of a channel is normally between its grant and its API
call.

Hooks (used by the reminder ledger, optional for everyone else): ``before_send`` is
awaited once per message *right after* its rate-limit slot is granted and right
before the API call (keep it short: the spacing applies to grants); returning False
skips the message (status ``"skipped"``), so a caller can record "about to send" as
late as possible, or cancel a message that is no longer wanted.  ``on_result``
(``send_many``) is awaited with each message's result as soon as it is known, not at
the end of the fan-out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from bot.messages import Outgoing, Reply

log = logging.getLogger(__name__)


class SendError(Exception):
    """Base of the errors a :class:`ChannelSender` raises.

    ``partial`` is set by a sender when an earlier part of the same reply was already
    delivered (a long text or files in several calls): the message is then neither
    delivered nor undelivered, and nothing may treat it as "certainly not sent".
    """

    partial: bool = False


class RetryAfter(SendError):
    """The API answered 429: wait ``seconds`` before sending anything on this channel."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = float(seconds)


class RecipientBlocked(SendError):
    """The recipient blocked the bot (403) or the chat no longer exists: never retry."""


class TransientSendError(SendError):
    """Network error or 5xx: retry with backoff.

    ``undelivered`` is True when the failure proves the message was not delivered (the
    server answered 5xx, the connection was refused before anything was sent); False when
    it may have been (a timeout waiting for the answer, a connection cut mid-way).
    """

    def __init__(self, message: str = "", *, undelivered: bool = False) -> None:
        super().__init__(message)
        self.undelivered = undelivered


class PermanentSendError(SendError):
    """The API refused the message itself (400): retrying cannot help."""


class ChannelSender(Protocol):
    """What an adapter gives the outbox: one API call per message, errors translated."""

    channel: str

    async def send(self, chat_id: str, reply: Reply) -> None: ...


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A channel's sending limits."""

    rate: int = 30  # messages per window, all chats together
    window: float = 1.0
    margin: float = 0.02  # seconds added to the window: absorbs network jitter
    per_chat_burst: int = 3
    per_chat_window: float = 3.0


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What became of one message: ``"sent"`` (the platform accepted it), ``"queued"`` (written to the
    durable outbox inside a turn, sent by bot.durable's pump once the turn commits), ``"blocked"``,
    ``"failed"``, ``"skipped"`` (before_send said no)."""

    outgoing: Outgoing
    status: str
    error: str = ""
    retryable: bool = False  # failed for a transient reason (network, 5xx, 429s): worth trying later

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "queued")


class SlidingWindowLimiter:
    """At most ``limit`` acquisitions in any window of ``period`` seconds, optionally evenly spaced.

    Unlike a token bucket with a burst, this can never exceed the limit in any
    window a strict server might measure, yet still runs at the full rate.

    With ``interval`` > 0 acquisitions are also *spaced* evenly.  Without spacing the
    window lets a whole window's quota out at once; sent as one burst over a pool of
    connections, those requests reach the server spread out by queueing and overlap the
    next window's burst in the server's own window (measured with Telegram's limits: 19
    answers 429 in a 200-message broadcast at 30/s; 0 when spaced).

    Spacing follows actual grant times.  Each grant is scheduled ``interval`` after the
    previous one's schedule; lateness up to ``tolerance`` (30 % of the interval: a
    sleep's overshoot, a busy event loop) is forgiven, so throughput does not erode,
    and anything later (a stall, a pause, an idle channel) restarts the schedule from
    the actual grant time (less the tolerance), so acquisitions that were waiting never
    rush out together to catch up.  Hence two grants are at least ``interval - tolerance`` apart and any
    ``n + 1`` consecutive grants span at least ``n * interval - tolerance``.  The window
    check stays as the hard guarantee (it also covers :meth:`restamp`).

    Acquisitions are granted one at a time, in arrival order (one lock, held while waiting).
    """

    def __init__(
        self,
        limit: int,
        period: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        interval: float = 0.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if limit < 1 or period <= 0 or interval < 0:
            raise ValueError("limit must be >= 1, period > 0 and interval >= 0")
        self.limit = limit
        self.period = period
        self.interval = interval
        self.tolerance = 0.3 * interval
        self._clock = clock
        self._sleep = sleep
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._paused_until = 0.0
        self._last = float("-inf")  # scheduled time of the last grant (spacing)

    def pause(self, seconds: float) -> None:
        """Hold every acquisition for ``seconds`` (a 429 told us to)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self) -> float:
        """Wait for a slot; returns its time stamp (see :meth:`restamp`)."""
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await self._sleep(self._paused_until - now)
                    continue
                target = self._last + self.interval
                if now < target:
                    await self._sleep(target - now)
                    continue
                while self._stamps and now - self._stamps[0] >= self.period:
                    self._stamps.popleft()
                if len(self._stamps) >= self.limit:
                    await self._sleep(self.period - (now - self._stamps[0]))
                    continue
                # A little late (a sleep's overshoot, a busy loop): keep the schedule. Later than
                # that (a stall, a pause, a full window, an idle channel): space the next grant from
                # about now, so the waiting acquisitions never rush out together to catch up.
                self._last = max(target, now - self.tolerance)
                self._stamps.append(now)
                return now

    def restamp(self, stamp: float) -> bool:
        """Move a granted slot's time stamp to now (the message really leaves now, not at grant time).

        Moving a stamp later can only delay later acquisitions, never allow more: a
        message holds its slot from grant until ``period`` after it really leaves, so
        the limit holds in any window measured when messages leave. (A stamp moved past
        younger ones merely makes the head-of-queue check conservative.) Returns False
        when the slot already expired (the work between grant and send took longer than
        ``period``): the caller must acquire a new one.  Spacing is not affected: it
        applies to grants, which is why a caller's work between grant and send
        (``before_send``) should be short.
        """
        now = self._clock()
        for i in range(len(self._stamps) - 1, -1, -1):
            if self._stamps[i] == stamp:
                self._stamps[i] = max(stamp, now)
                return True
        return False


BlockedCallback = Callable[[str], Awaitable[None] | None]
BeforeSend = Callable[[Outgoing], Awaitable[bool]]
OnResult = Callable[["DeliveryResult"], Awaitable[None]]
OnUndelivered = Callable[[Outgoing, str], Awaitable[None]]
# Set by bot.durable: inside a turn, send/send_many write outbox rows instead of sending (None = send).
Interceptor = Callable[[list[Outgoing]], Awaitable[list["DeliveryResult"] | None]]


def proves_undelivered(exc: SendError) -> bool:
    """This attempt's failure proves the message did not reach the recipient (see the errors' docs)."""
    if exc.partial:
        return False
    if isinstance(exc, RetryAfter):
        return True
    return isinstance(exc, TransientSendError) and exc.undelivered


class Outbox:
    """Rate-limited, retrying delivery over the configured channels."""

    def __init__(
        self,
        senders: dict[str, ChannelSender] | None = None,
        limits: dict[str, RateLimit] | None = None,
        on_blocked: BlockedCallback | None = None,
        max_attempts: int = 5,
        backoff: float = 0.5,
    ) -> None:
        self._senders: dict[str, ChannelSender] = dict(senders or {})
        self._limits: dict[str, RateLimit] = dict(limits or {})
        self._global: dict[str, SlidingWindowLimiter] = {}
        self._per_chat: dict[tuple[str, str], SlidingWindowLimiter] = {}
        self._on_blocked = on_blocked
        self._interceptor: Interceptor | None = None
        self.max_attempts = max_attempts
        self.backoff = backoff
        for name in self._senders:
            self._make_limiter(name)

    def register(self, sender: ChannelSender, limit: RateLimit | None = None) -> None:
        self._senders[sender.channel] = sender
        if limit is not None:
            self._limits[sender.channel] = limit
        self._make_limiter(sender.channel)

    def set_blocked_callback(self, callback: BlockedCallback | None) -> None:
        self._on_blocked = callback

    def set_interceptor(self, interceptor: Interceptor | None) -> None:
        """bot.durable's hook: messages sent inside a turn become rows of the durable outbox."""
        self._interceptor = interceptor

    async def _intercepted(self, outs: list[Outgoing]) -> list[DeliveryResult] | None:
        if self._interceptor is None or not outs:
            return None
        return await self._interceptor(outs)

    @property
    def channels(self) -> list[str]:
        return list(self._senders)

    def sender(self, channel: str) -> ChannelSender | None:
        return self._senders.get(channel)

    def limit(self, channel: str) -> RateLimit | None:
        """The channel's sending limits (None if the channel is not configured)."""
        return self._limits.get(channel) if channel in self._senders else None

    def _make_limiter(self, channel: str) -> None:
        lim = self._limits.setdefault(channel, RateLimit())
        period = lim.window + lim.margin
        self._global[channel] = SlidingWindowLimiter(lim.rate, period, interval=period / lim.rate)

    def _chat_limiter(self, channel: str, chat_id: str) -> SlidingWindowLimiter:
        key = (channel, chat_id)
        limiter = self._per_chat.get(key)
        if limiter is None:
            lim = self._limits[channel]
            limiter = SlidingWindowLimiter(lim.per_chat_burst, lim.per_chat_window + lim.margin)
            if len(self._per_chat) > 50_000:  # bound memory: forget idle chats
                self._per_chat.clear()
            self._per_chat[key] = limiter
        return limiter

    async def send(
        self,
        out: Outgoing,
        *,
        before_send: BeforeSend | None = None,
        on_undelivered: OnUndelivered | None = None,
    ) -> DeliveryResult:
        """Deliver one message, or queue it durably when called inside a turn (bot.durable).

        With hooks (the reminder ledger) the message is always delivered at once: the ledger is
        its own durable record.  See :meth:`deliver`.
        """
        if before_send is None and on_undelivered is None:
            queued = await self._intercepted([out])
            if queued is not None:
                return queued[0]
        return await self.deliver(out, before_send=before_send, on_undelivered=on_undelivered)

    async def deliver(
        self,
        out: Outgoing,
        *,
        before_send: BeforeSend | None = None,
        on_undelivered: OnUndelivered | None = None,
    ) -> DeliveryResult:
        """Deliver one message now, honouring limits (never queued); never raises for delivery problems.

        ``on_undelivered(out, error)`` is awaited when an attempt failed in a way that proves
        nothing was delivered (429, 5xx, connection refused) and no earlier attempt may have
        delivered it, *before* the outbox waits to retry; ``before_send`` is then awaited again
        before the next attempt.  The reminder ledger uses the pair to put the row back to
        "not sent" while it waits out a 429, so a crash during the wait does not lose it.
        """
        sender = self._senders.get(out.channel)
        if sender is None:
            return DeliveryResult(out, "failed", f"channel {out.channel!r} is not configured")
        chat_limiter = self._chat_limiter(out.channel, out.chat_id)
        global_limiter = self._global[out.channel]
        delay = self.backoff
        last_error = ""
        ask = before_send is not None  # before_send is due before the next attempt
        maybe_delivered = False  # an earlier attempt failed ambiguously (timeout...)
        for attempt in range(1, self.max_attempts + 1):
            chat_stamp = await chat_limiter.acquire()
            stamp = await global_limiter.acquire()
            if before_send is not None and ask:
                ask = False
                stop = await self._before(
                    out, before_send, (chat_limiter, chat_stamp), (global_limiter, stamp)
                )
                if stop is not None:
                    return stop
            try:
                await sender.send(out.chat_id, out.reply)
                return DeliveryResult(out, "sent")
            except (RetryAfter, TransientSendError) as exc:
                last_error = str(exc)
                if isinstance(exc, RetryAfter):
                    log.warning("%s: 429, pausing %.1fs", out.channel, exc.seconds)
                    global_limiter.pause(exc.seconds)
                else:
                    log.warning("%s: transient error (attempt %d): %s", out.channel, attempt, exc)
                if not proves_undelivered(exc):
                    maybe_delivered = True
                elif on_undelivered is not None and not maybe_delivered:
                    stop = await self._undelivered(out, on_undelivered, last_error)
                    if stop is not None:
                        return stop
                    ask = before_send is not None
                if isinstance(exc, TransientSendError):
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 30.0)
            except Exception as exc:
                return await self._final(out, exc)
        return DeliveryResult(out, "failed", last_error or "too many attempts", retryable=True)

    async def _before(
        self,
        out: Outgoing,
        before_send: BeforeSend,
        chat: tuple[SlidingWindowLimiter, float],
        channel: tuple[SlidingWindowLimiter, float],
    ) -> DeliveryResult | None:
        """Run ``before_send`` after the slot was granted; a result ends the delivery, None goes on."""
        try:
            proceed = await before_send(out)
        except Exception as exc:  # the caller could not record the attempt: do not send
            log.exception("%s: before_send failed for chat %s", out.channel, out.chat_id)
            return DeliveryResult(out, "failed", f"before_send: {exc}"[:500], retryable=True)
        if not proceed:
            return DeliveryResult(out, "skipped")
        for limiter, stamp in (chat, channel):
            if not limiter.restamp(stamp):
                await limiter.acquire()
        return None

    async def _undelivered(self, out: Outgoing, hook: OnUndelivered, error: str) -> DeliveryResult | None:
        try:
            await hook(out, error)
        except Exception as exc:  # could not record it: stop here, a later run retries
            log.exception("%s: on_undelivered failed for chat %s", out.channel, out.chat_id)
            return DeliveryResult(out, "failed", f"on_undelivered: {exc}"[:500], retryable=True)
        return None

    async def _final(self, out: Outgoing, exc: Exception) -> DeliveryResult:
        """The result of a failure that is not retried: blocked, refused, or an adapter bug."""
        if isinstance(exc, RecipientBlocked):
            log.info("%s: recipient %s blocked the bot", out.channel, out.user_key or out.chat_id)
            if self._on_blocked and out.user_key:
                result = self._on_blocked(out.user_key)
                if asyncio.iscoroutine(result):
                    await result
            return DeliveryResult(out, "blocked", str(exc))
        if isinstance(exc, PermanentSendError):
            log.error("%s: message refused for chat %s: %s", out.channel, out.chat_id, exc)
            return DeliveryResult(out, "failed", str(exc))
        # an adapter bug must not kill a fan-out: report, do not retry
        log.error("%s: unexpected error sending to chat %s", out.channel, out.chat_id, exc_info=exc)
        return DeliveryResult(out, "failed", f"{exc.__class__.__name__}: {exc}"[:500])

    async def send_many(
        self,
        outs: Iterable[Outgoing],
        concurrency: int = 64,
        *,
        before_send: BeforeSend | None = None,
        on_result: OnResult | None = None,
        on_undelivered: OnUndelivered | None = None,
    ) -> list[DeliveryResult]:
        """Fan out at the channels' full allowed rate; results in input order (queued inside a turn)."""
        items = list(outs)
        if before_send is None and on_result is None and on_undelivered is None:
            queued = await self._intercepted(items)
            if queued is not None:
                return queued
        results: list[DeliveryResult | None] = [None] * len(items)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(items)):
            queue.put_nowait(i)

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                result = await self.deliver(items[i], before_send=before_send, on_undelivered=on_undelivered)
                results[i] = result
                if on_result is not None:
                    try:
                        await on_result(result)
                    except Exception:  # keep fanning out; the caller logs its own failure
                        log.exception("on_result failed for chat %s", items[i].chat_id)

        workers = [asyncio.create_task(worker()) for _ in range(max(1, min(concurrency, len(items))))]
        await asyncio.gather(*workers)
        return [r for r in results if r is not None]
