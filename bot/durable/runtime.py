"""The workers between the inbox and the outbox, one :class:`Runtime` per application.

Adapters register a processor per channel (``register``), write every update with
:meth:`Runtime.accept` before acknowledging it, and share the runtime (``start`` /
``release`` are reference-counted).  Three loops run while it is started:

- **take**: takes inbox rows (at most ``workers`` at once, one per user), runs the
  channel's processor inside a :class:`~bot.durable.turn.Turn`, then :func:`finish`es it;
- **pump**: takes outbox rows (one per chat, in order) and hands them to
  :meth:`bot.outbox.Outbox.deliver` (the rate-limited path), then marks them;
- **renew**: extends the leases of the rows this instance holds.

Shutdown (:meth:`drain`): stop taking updates, finish the turns already taken and
send what is in the outbox, within the grace period; what is left stays in the
database (taken rows are released at once for the next start or another instance).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from bot.durable import inbox, queue
from bot.durable.settings import DurableSettings
from bot.durable.settings import current as current_settings
from bot.durable.turn import CURRENT, Turn
from bot.messages import Outgoing
from bot.outbox import DeliveryResult
from bot.storage.models import DialogState

log = logging.getLogger(__name__)

Processor = Callable[[dict[str, Any]], Awaitable[None]]
Delivered = Callable[[str], None]  # update_key: its turn is done and every message of it was handled
POLL = 0.5  # seconds between looks at the tables when nothing woke a loop (other instances, leases)
PUMP_CONCURRENCY = 64


async def _nap(event: asyncio.Event, timeout: float) -> None:
    """Wait for ``event`` at most ``timeout`` seconds.  Not ``asyncio.wait_for``: on Python 3.11 a
    cancellation arriving as its timeout fires can be swallowed, and a loop would never stop."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=timeout)
    finally:
        waiter.cancel()


def new_owner(instance_id: str = "") -> str:
    base = instance_id or socket.gethostname()
    return f"{base[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def runtime(app: Any) -> Runtime:
    """The application's runtime (created on first use)."""
    rt = getattr(app, "_durable_runtime", None)
    if rt is None:
        rt = Runtime(app)
        setattr(app, "_durable_runtime", rt)  # noqa: B010  (App is core's dataclass; no field for it)
    return rt


def existing(app: Any) -> Runtime | None:
    return getattr(app, "_durable_runtime", None)


def finish(engine: Any, owner: str, turn: Turn) -> bool:
    """One transaction: the inbox row done, the dialog state, the turn's messages. False = lease lost."""
    for attempt in range(3):
        try:
            with Session(engine, expire_on_commit=False) as s:
                if s.connection().execute(inbox.mark_done_stmt(turn.inbox_id, owner)).rowcount != 1:
                    s.rollback()
                    return False
                if turn.state_set:
                    row = s.get(DialogState, turn.user_key)
                    if turn.clear_state or turn.state is None:
                        if row is not None:
                            s.delete(row)
                    else:
                        flow, step, data = turn.state
                        if row is None:
                            row = DialogState(user_key=turn.user_key, flow=flow, step=step, data=data)
                        else:
                            row.flow, row.step, row.data = flow, step, dict(data)
                        from datetime import UTC, datetime

                        row.updated_at = datetime.now(UTC)
                        s.add(row)
                    s.flush()
                queue.enqueue_on(s.connection(), turn.outs, turn.inbox_id)
                s.commit()
                return True
        except (IntegrityError, OperationalError) as exc:  # a concurrent first state row; SQLite busy
            if attempt == 2 or (isinstance(exc, OperationalError) and "locked" not in str(exc).lower()):
                raise
            time.sleep(0.01 * (attempt + 1))
    return False


class Runtime:
    def __init__(self, app: Any, settings: DurableSettings | None = None) -> None:
        self.app = app
        self.settings = settings or current_settings()
        self.owner = new_owner(getattr(app.settings, "instance_id", ""))
        self.processors: dict[str, Processor] = {}
        self.delivered_callbacks: dict[str, Delivered] = {}
        self._users = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._turns: dict[int, asyncio.Task[None]] = {}
        self._sends: dict[int, asyncio.Task[None]] = {}
        self._wake_in = asyncio.Event()
        self._wake_out = asyncio.Event()
        self._taking = False
        self._watch: dict[int, list[Any]] = {}  # inbox id -> [channel, update_key, messages left]
        self.stats = {"turns": 0, "sent": 0, "lost_lease": 0, "errors": 0}

    @property
    def engine(self) -> Any:
        return self.app.engine

    @property
    def outbox(self) -> Any:
        return self.app.outbox

    # ------------------------------------------------------------------ adapters' side
    def register(self, channel: str, processor: Processor, delivered: Delivered | None = None) -> None:
        self.processors[channel] = processor
        if delivered is not None:
            self.delivered_callbacks[channel] = delivered

    async def accept(self, channel: str, update_key: str, user_key: str, payload: dict[str, Any]) -> bool:
        """Write one update (committed on return): True if new, False for a re-delivery."""
        (fresh,) = await self.accept_many([(channel, update_key, user_key, payload)])
        return fresh

    async def accept_many(self, items: Sequence[tuple[str, str, str, dict[str, Any]]]) -> list[bool]:
        result = await asyncio.to_thread(inbox.accept, self.engine, items)
        if any(result):
            self._wake_in.set()
        return result

    # ------------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        return bool(self._tasks)

    async def start(self) -> None:
        self._users += 1
        if self._tasks:
            return
        self.outbox.set_interceptor(self._intercept)
        self._taking = True
        self._tasks = [
            asyncio.create_task(self._take_loop(), name="durable-take"),
            asyncio.create_task(self._pump_loop(), name="durable-pump"),
            asyncio.create_task(self._renew_loop(), name="durable-renew"),
        ]

    async def release(self, grace: float | None = None) -> None:
        """An adapter is done with the runtime; the last one drains and stops it."""
        self._users = max(0, self._users - 1)
        if self._users == 0 and self._tasks:
            await self.stop(grace)

    async def drain(self, grace: float | None = None) -> bool:
        """Stop taking updates; finish the turns in progress and send the outbox. True if all done."""
        grace = self.settings.shutdown_grace if grace is None else grace
        self._taking = False
        deadline = time.monotonic() + grace
        if self._turns:
            await asyncio.wait(set(self._turns.values()), timeout=max(0.0, deadline - time.monotonic()))
        channels = self._send_channels()
        while time.monotonic() < deadline:
            self._wake_out.set()
            left = await asyncio.to_thread(self._unsent_of_mine, channels)
            if not left and not self._sends:
                return not self._turns
            await asyncio.sleep(0.05)
        return False

    def _unsent_of_mine(self, channels: list[str]) -> int:
        """Messages still to send for the channels this instance serves (any instance's turns)."""
        return queue.unsent(self.engine, channels) if channels else 0

    async def stop(self, grace: float | None = None) -> None:
        if not self._tasks:
            return
        try:
            await self.drain(grace)
        finally:
            await self._cancel_all()
            self.outbox.set_interceptor(None)

    async def _cancel_all(self) -> None:
        for task in self._tasks:
            task.cancel()
        unfinished_turns = list(self._turns)
        unsent = list(self._sends)
        for task in [*self._turns.values(), *self._sends.values()]:
            task.cancel()
        await asyncio.gather(
            *self._tasks, *self._turns.values(), *self._sends.values(), return_exceptions=True
        )
        self._tasks, self._turns, self._sends = [], {}, {}
        with contextlib.suppress(Exception):  # what was not finished is taken again at once by the next start
            await asyncio.to_thread(inbox.release, self.engine, self.owner, unfinished_turns)
            await asyncio.to_thread(queue.release, self.engine, self.owner, unsent)

    # ------------------------------------------------------------------ the turn
    async def _intercept(self, outs: list[Outgoing]) -> list[DeliveryResult] | None:
        """Outbox.send inside a turn: the messages become outbox rows (see bot.durable.turn)."""
        turn = CURRENT.get()
        if turn is None or not self._tasks:
            return None
        if turn.closed:  # sent by something the turn started and left running: its own transaction
            await asyncio.to_thread(queue.enqueue, self.engine, outs)
            self._wake_out.set()
        else:
            turn.outs.extend(outs)
        return [DeliveryResult(o, "queued") for o in outs]

    async def _run_turn(self, row: inbox.Taken) -> None:
        turn = Turn(inbox_id=row.id, key=f"{row.channel}:{row.update_key}", user_key=row.user_key)
        token = CURRENT.set(turn)
        try:
            processor = self.processors[row.channel]
            try:
                await processor(row.payload)
            except asyncio.CancelledError:
                raise
            except Exception:  # the adapter already told the user when it could; never retry forever
                self.stats["errors"] += 1
                log.exception("Hộp thư đến: lỗi khi xử lý cập nhật %s/%s", row.channel, row.update_key)
        finally:
            CURRENT.reset(token)
        turn.closed = True
        done = await self._finish(turn)
        if not done:
            self.stats["lost_lease"] += 1
            log.warning("Hộp thư đến: cập nhật %s đã được tiến trình khác nhận lại; bỏ kết quả", turn.key)
            return
        self.stats["turns"] += 1
        if turn.outs:
            self._watch[row.id] = [row.channel, row.update_key, len(turn.outs)]
            self._wake_out.set()
        else:
            self._delivered(row.channel, row.update_key)

    async def _finish(self, turn: Turn) -> bool:
        delay = 0.2
        while True:
            try:
                return await asyncio.to_thread(finish, self.engine, self.owner, turn)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: keep the result and try again (the lease is renewed)
                log.exception("Hộp thư đến: chưa ghi được kết quả của %s, thử lại", turn.key)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _delivered(self, channel: str, update_key: str) -> None:
        callback = self.delivered_callbacks.get(channel)
        if callback is not None:
            try:
                callback(update_key)
            except Exception:
                log.exception("delivered callback failed")

    # ------------------------------------------------------------------ loops
    async def _take_loop(self) -> None:
        failures = 0
        while True:
            self._wake_in.clear()
            free = self.settings.workers - len(self._turns)
            channels = list(self.processors)
            if self._taking and free > 0 and channels:
                try:
                    rows = await asyncio.to_thread(
                        inbox.take, self.engine, self.owner, channels, free, self.settings.inbox_lease
                    )
                    failures = 0
                except Exception:
                    failures += 1
                    if failures == 1 or failures % 20 == 0:
                        log.exception("Hộp thư đến: không đọc được hàng đợi (lần %d)", failures)
                    rows = []
                    await asyncio.sleep(min(5.0, 0.2 * failures))
                for row in rows:
                    task = asyncio.create_task(self._run_turn(row))
                    self._turns[row.id] = task
                    task.add_done_callback(functools.partial(self._turn_ended, row.id))
                if rows:
                    continue
            await _nap(self._wake_in, POLL)

    def _turn_ended(self, row_id: int, _task: object = None) -> None:
        self._turns.pop(row_id, None)
        self._wake_in.set()  # the user's next update may be taken now

    def _send_channels(self) -> list[str]:
        return [c for c in self.outbox.channels]

    async def _pump_loop(self) -> None:
        failures = 0
        while True:
            self._wake_out.clear()
            free = PUMP_CONCURRENCY - len(self._sends)
            channels = self._send_channels()
            if free > 0 and channels:
                try:
                    rows = await asyncio.to_thread(
                        queue.take, self.engine, self.owner, channels, free, self.settings.inbox_lease
                    )
                    failures = 0
                except Exception:
                    failures += 1
                    if failures == 1 or failures % 20 == 0:
                        log.exception("Hộp thư đi: không đọc được hàng đợi (lần %d)", failures)
                    rows = []
                    await asyncio.sleep(min(5.0, 0.2 * failures))
                for row in rows:
                    task = asyncio.create_task(self._send(row))
                    self._sends[row.id] = task
                    task.add_done_callback(functools.partial(self._send_ended, row.id))
                if rows:
                    continue
            await _nap(self._wake_out, POLL)

    def _send_ended(self, row_id: int, _task: object = None) -> None:
        self._sends.pop(row_id, None)
        self._wake_out.set()

    async def _send(self, row: queue.TakenMessage) -> None:
        result = await self.outbox.deliver(row.outgoing)
        retry_in: float | None = None
        if result.status == "failed" and result.retryable and row.attempts <= len(queue.RETRY_DELAYS):
            retry_in = queue.RETRY_DELAYS[row.attempts - 1]
        delay = 0.2
        while True:
            try:
                await asyncio.to_thread(
                    queue.mark, self.engine, self.owner, row.id, result.status, result.error, retry_in
                )
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Hộp thư đi: chưa ghi được kết quả tin %s, thử lại", row.id)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        if result.status == "sent":
            self.stats["sent"] += 1
        if retry_in is None and row.inbox_id is not None:
            watched = self._watch.get(row.inbox_id)
            if watched is not None:
                watched[2] -= 1
                if watched[2] <= 0:
                    del self._watch[row.inbox_id]
                    self._delivered(watched[0], watched[1])

    async def _renew_loop(self) -> None:
        period = max(0.5, self.settings.inbox_lease / 3)
        while True:
            await asyncio.sleep(period)
            try:
                if self._turns:
                    await asyncio.to_thread(inbox.renew, self.engine, self.owner, self.settings.inbox_lease)
                if self._sends:
                    await asyncio.to_thread(queue.renew, self.engine, self.owner, self.settings.inbox_lease)
            except Exception:
                log.warning("Không gia hạn được quyền giữ cập nhật; sẽ thử lại", exc_info=True)
