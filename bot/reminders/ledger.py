"""The delivery ledger: each reminder (obligation, year, recipient, kind) sent once, none skipped.

Life of one ledger row (table ``delivery``, unique ``key``)::

    claimed ──► sending ──► sent | blocked | failed
       │           │
       │           └─(owner died)──► unknown   (presumed delivered, never resent)
       ├─(unit submitted / marked done / user inactive, checked right before sending)──► skipped
       └─(owner died, or run ended without sending it)──► row deleted, claimed again by the next run

- **claim**: rows are inserted with ``INSERT .. ON CONFLICT DO NOTHING`` in one commit
  before any sending; a key already present (any status) is not sent again. Two
  instances computing the same reminders split them, they never both get one.
- **sending**: committed right before the API call — after the message's rate-limit
  slot was granted (:class:`bot.outbox.Outbox` ``before_send``), in the same
  statement that checks that the unit still has not submitted, the recipient is still
  an active, approved member (or the obligation not marked done). So a ``claimed`` row
  has certainly *not* been sent, and a unit that submits stops receiving reminders at
  once.
- **sending -> claimed**: an answer that proves the attempt delivered nothing (429, 5xx, connection
  refused) is committed before the outbox waits to retry (``mark_undelivered``); ``sending`` is
  committed again, guarded, right before the retry. A crash during a 429 wait leaves a ``claimed``
  row, sent by the next run.
- **sent/blocked/failed**: written as each result arrives (batched with other
  concurrent writes); ``blocked`` also marks the user inactive. A failure the outbox
  calls retryable (network, 5xx, repeated 429) is stored as ``failed`` with an
  ``error`` starting ``retry:`` and is claimed again by a later run while the reminder
  is still current.

Crash semantics. A run holds :class:`~bot.reminders.mutex.FanoutMutex` from recovery
to the end, so when a run starts, no other live process has rows in flight:

- rows left ``claimed`` by a dead run were never sent: they are deleted and the
  current run claims and sends them (exactly once);
- rows left ``sending`` are ambiguous: the request may or may not have reached the
  API. They become ``unknown`` and are **not** resent: never a duplicate, at the price
  of a small window in which one reminder can be lost. The outbox grants a channel's
  slots one at a time, evenly spaced, and ``sending`` is committed right after the
  grant with nothing in between it and the API call, so normally at most one row is
  between its ``sending`` commit and its request being fully written; a SIGKILL
  inside that window (measured ~1–2 ms per message with python-telegram-bot on the
  test machine; 4 of 40 random SIGKILLs at 30 msg/s hit it, see
  ``bench/bench_reminders_sigkill.py``) loses that reminder — the
  next one of the series still comes. Against the real Bot API the round trip after the
  write (~100 ms) dwarfs that window, so an interrupted ``sending`` row was almost surely
  delivered and resending it would almost surely duplicate. Because results are written
  lazily (with the next message's commit), the last delivered message is usually still
  ``sending`` when a run dies: ``unknown`` therefore mostly means "delivered, not yet
  recorded". Runs log and report ``unknown`` rows; ``reminders plan`` lists them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.outbox import DeliveryResult, Outbox
from bot.reminders.targets import DueMessage
from bot.storage.models import Delivery, Membership, Setting, Submission, User

log = logging.getLogger(__name__)

T = Delivery.__table__  # type: ignore[attr-defined]
_U = User.__table__  # type: ignore[attr-defined]
_S = Submission.__table__  # type: ignore[attr-defined]
_ST = Setting.__table__  # type: ignore[attr-defined]
_M = Membership.__table__  # type: ignore[attr-defined]
RETRY_PREFIX = "retry: "
CLAIM_CHUNK = 5000  # rows per claim statement
FIRST_CHUNK = 500  # the first claim is small so that sending starts at once
IN_FLIGHT = ("claimed", "sending")


def new_owner(instance_id: str = "") -> str:
    """Who claims: instance id (or host name), process id and a random suffix (unique per run context)."""
    base = instance_id or socket.gethostname()
    return f"{base[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _utc(clock: Callable[[], datetime]) -> datetime:
    return clock().astimezone(UTC)


def _insert(engine: Engine) -> Any:
    name = engine.dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"reminder ledger: unsupported database {name!r}")


@dataclass(slots=True)
class Recovery:
    released: int = 0  # 'claimed' rows of a dead run: never sent, will be claimed again
    unknown: int = 0  # 'sending' rows of a dead run: presumed delivered, not resent
    retried: int = 0  # retryable failures released for another attempt


def recover(engine: Engine, now: datetime) -> Recovery:
    """Resolve rows a dead run left in flight. Call only while holding the fan-out mutex."""
    rec = Recovery()
    with engine.begin() as conn:
        rec.released = conn.execute(delete(T).where(T.c.status == "claimed")).rowcount or 0
        rec.unknown = (
            conn.execute(
                update(T)
                .where(T.c.status == "sending")
                .values(status="unknown", error="tiến trình gửi bị dừng khi đang gửi; coi như đã gửi")
            ).rowcount
            or 0
        )
        rec.retried = (
            conn.execute(delete(T).where(T.c.status == "failed", T.c.error.like(RETRY_PREFIX + "%"))).rowcount
            or 0
        )
    if rec.released or rec.unknown:
        log.warning(
            "Nhắc hạn: lần chạy trước bị dừng đột ngột — %d lời nhắc chưa gửi sẽ được gửi lại, "
            "%d lời nhắc đang gửi dở được coi là đã gửi (trạng thái unknown).",
            rec.released,
            rec.unknown,
        )
    return rec


def claim(engine: Engine, owner: str, msgs: Sequence[DueMessage], now: datetime) -> set[str]:
    """Insert claims; returns the keys this owner got (absent keys belong to earlier or other runs)."""
    if not msgs:
        return set()
    rows = [
        {
            "key": m.key,
            "obligation": m.obligation,
            "year": m.year,
            "recipient": m.recipient,
            "kind": m.kind,
            "status": "claimed",
            "owner": owner,
            "claimed_at": now,
            "sent_at": None,
            "error": "",
        }
        for m in msgs
    ]
    if engine.dialect.name == "postgresql":
        return _claim_unnest(engine, owner, msgs, now)
    stmt = _insert(engine)(T).on_conflict_do_nothing(index_elements=["key"]).returning(T.c.key)
    with engine.begin() as conn:
        return {r[0] for r in conn.execute(stmt, rows)}


# One statement with five array parameters, whatever the number of rows: psycopg parses and
# sends it once (1,000-row VALUES lists with 10,000 parameters took 11-14 s per 100,000 rows).
_CLAIM_UNNEST = text(
    "INSERT INTO delivery "
    "(key, obligation, year, recipient, kind, status, owner, claimed_at, sent_at, error) "
    "SELECT t.key, t.obligation, t.year, t.recipient, t.kind, 'claimed', :owner, :now, NULL, '' "
    "FROM unnest(CAST(:keys AS text[]), CAST(:obligations AS text[]), CAST(:years AS integer[]), "
    "CAST(:recipients AS text[]), CAST(:kinds AS text[])) AS t(key, obligation, year, recipient, kind) "
    "ON CONFLICT (key) DO NOTHING RETURNING key"
)


def _claim_unnest(engine: Engine, owner: str, msgs: Sequence[DueMessage], now: datetime) -> set[str]:
    params = {
        "owner": owner,
        "now": now,
        "keys": [m.key for m in msgs],
        "obligations": [m.obligation for m in msgs],
        "years": [m.year for m in msgs],
        "recipients": [m.recipient for m in msgs],
        "kinds": [m.kind for m in msgs],
    }
    with engine.begin() as conn:
        return {r[0] for r in conn.execute(_CLAIM_UNNEST, params)}


def release(engine: Engine, owner: str) -> int:
    """Drop this owner's claims that were never attempted (end of a run, normal or not)."""
    with engine.begin() as conn:
        return conn.execute(delete(T).where(T.c.owner == owner, T.c.status == "claimed")).rowcount or 0


def statuses(engine: Engine, keys: Iterable[str]) -> dict[str, tuple[str, datetime | None, str]]:
    """key -> (status, sent_at, error) for the keys present in the ledger."""
    keys = list(keys)
    out: dict[str, tuple[str, datetime | None, str]] = {}
    with engine.connect() as conn:
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            for key, status, sent_at, error in conn.execute(
                select(T.c.key, T.c.status, T.c.sent_at, T.c.error).where(T.c.key.in_(part))
            ):
                out[key] = (status, sent_at, error)
    return out


def rows_for_year(engine: Engine, year: int) -> dict[tuple[str, str], dict[str, tuple[str, str]]]:
    """(obligation, kind) -> {key: (recipient, status)}; digests are filed under their reminder's kind."""
    out: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    with engine.connect() as conn:
        for key, ob, kind, recipient, status in conn.execute(
            select(T.c.key, T.c.obligation, T.c.kind, T.c.recipient, T.c.status).where(T.c.year == year)
        ):
            out.setdefault((ob, kind.removeprefix("digest-")), {})[key] = (recipient, status)
    return out


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {s: n for s, n in conn.execute(select(T.c.status, func.count()).group_by(T.c.status))}


def _guarded(unit: bool, done: bool) -> Any:
    """claimed -> sending, only if the recipient is active, the unit has not submitted, not marked done."""
    cond = [
        T.c.key == bindparam("g_key"),
        T.c.owner == bindparam("g_owner"),
        T.c.status == "claimed",
        exists().where(_U.c.id == bindparam("g_user"), _U.c.active == True),  # noqa: E712
    ]
    if unit:
        cond.append(~exists().where(_S.c.unit_id == bindparam("g_unit"), _S.c.year == bindparam("g_year")))
        cond.append(
            exists().where(
                _M.c.user_id == bindparam("g_user"),
                _M.c.unit_id == bindparam("g_unit"),
                _M.c.status == "approved",
            )
        )
    if done:
        cond.append(~exists().where(_ST.c.key == bindparam("g_done")))
    return update(T).where(*cond).values(status="sending").returning(T.c.key)


# Built once: constructing SQLAlchemy expressions per message costs more CPU than running them.
_GUARDED = {(u, d): _guarded(u, d) for u in (False, True) for d in (False, True)}
_RESULT = (
    update(T)
    .where(T.c.key == bindparam("b_key"), T.c.owner == bindparam("b_owner"))
    .values(status=bindparam("b_status"), sent_at=bindparam("b_sent_at"), error=bindparam("b_error"))
)


_UNDELIVERED = (
    update(T)
    .where(T.c.key == bindparam("u_key"), T.c.owner == bindparam("u_owner"), T.c.status == "sending")
    .values(status="claimed", error=bindparam("u_error"))
)


class LedgerWriter:
    """Serializes this run's ledger writes and batches concurrent ones into one transaction.

    ``mark_sending`` is awaited by the outbox right before each API call (it must be
    committed first); results are queued and written without holding up the fan-out,
    piggybacking on the next ``mark_sending`` transaction or after ``lazy_delay`` at the
    latest (one transaction per message instead of two: the bench's CPU budget).
    """

    lazy_delay = 0.25

    def __init__(self, engine: Engine, owner: str, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.owner = owner
        self.clock = clock
        self._queue: list[tuple[str, Any, asyncio.Future[Any] | None]] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        # One thread and one connection for all of this run's ledger writes: no pool checkout
        # and no thread hand-over per message (the fan-out's CPU budget is ~3 ms per message).
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        self._conn: Any = None
        self.write_errors = 0

    def _enqueue(self, op: str, payload: Any, fut: asyncio.Future[Any] | None, urgent: bool = True) -> None:
        self._queue.append((op, payload, fut))
        self._idle.clear()
        if self._task is None:
            self._task = asyncio.create_task(self._loop())
        if urgent:
            self._wake.set()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.lazy_delay, self._wake.set)

    async def mark_sending(self, msg: DueMessage) -> bool:
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._enqueue("sending", msg, fut)
        return await fut

    async def mark_undelivered(self, msg: DueMessage, error: str) -> None:
        """sending -> claimed, committed before returning: the API proved this attempt delivered
        nothing (429, 5xx, connection refused) and the outbox is about to wait before retrying.
        A crash during that wait leaves a ``claimed`` row, which the next run sends, instead of a
        ``sending`` row presumed delivered (issue 14). ``mark_sending`` runs again before the retry."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._enqueue("undelivered", (msg, error), fut)
        await fut

    def record(self, msg: DueMessage, result: DeliveryResult) -> None:
        self._enqueue("result", (msg, result), None, urgent=False)

    async def flush(self) -> None:
        while (self._queue or not self._idle.is_set()) and self._task is not None and not self._task.done():
            self._wake.set()
            waiter = asyncio.ensure_future(self._idle.wait())
            try:  # also stop waiting if the writer task died
                await asyncio.wait([waiter, self._task], return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not waiter.done():
                    waiter.cancel()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.flush()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await asyncio.get_running_loop().run_in_executor(self._executor, self._close_conn)
        self._executor.shutdown(wait=False)

    def _close_conn(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    granted = await asyncio.get_running_loop().run_in_executor(
                        self._executor, self._apply, batch
                    )
                except Exception as exc:
                    self.write_errors += 1
                    log.exception("Nhắc hạn: không ghi được sổ gửi (%d mục)", len(batch))
                    for _op, _payload, fut in batch:
                        if fut is not None and not fut.done():
                            fut.set_exception(exc)
                    continue
                orphaned: list[str] = []
                for op, payload, fut in batch:
                    if fut is None:
                        continue
                    if fut.cancelled():
                        # The sender was cancelled (shutdown) while we committed 'sending': its request
                        # never started, so the row goes back to 'claimed' (released, sent by a later run).
                        if op == "sending" and payload.key in granted:
                            orphaned.append(payload.key)
                    elif not fut.done():
                        fut.set_result(payload.key in granted if op == "sending" else None)
                if orphaned:
                    self._queue.append(("revert", orphaned, None))  # written by this same loop
            if not self._queue:
                self._idle.set()

    def _apply(self, batch: list[tuple[str, Any, Any]]) -> set[str]:
        """One transaction: results, then the guarded claimed -> sending transitions."""
        now = _utc(self.clock)
        sending: list[DueMessage] = [p for op, p, _ in batch if op == "sending"]
        reverts: list[str] = [k for op, p, _ in batch if op == "revert" for k in p]
        undelivered: list[tuple[DueMessage, str]] = [p for op, p, _ in batch if op == "undelivered"]
        results: list[tuple[DueMessage, DeliveryResult]] = [p for op, p, _ in batch if op == "result"]
        granted: set[str] = set()
        if self._conn is None:
            self._conn = self.engine.connect()
        conn = self._conn
        try:
            with conn.begin():
                if undelivered:
                    conn.execute(
                        _UNDELIVERED,
                        [{"u_key": m.key, "u_owner": self.owner, "u_error": e[:480]} for m, e in undelivered],
                    )
                granted = self._write(conn, now, sending, reverts, results)
        except Exception:
            self._close_conn()  # a broken connection is not reused
            raise
        return granted

    def _write(
        self,
        conn: Any,
        now: datetime,
        sending: list[DueMessage],
        reverts: list[str],
        results: list[tuple[DueMessage, DeliveryResult]],
    ) -> set[str]:
        granted: set[str] = set()
        if results:
            rows = []
            blocked_users: set[int] = set()
            for msg, res in results:
                if res.status == "skipped":  # the guard already recorded why
                    continue
                error = res.error[:480]
                if res.status == "failed" and res.retryable:
                    error = RETRY_PREFIX + error
                if res.status == "blocked":
                    blocked_users.add(msg.user_id)
                rows.append(
                    {
                        "b_key": msg.key,
                        "b_status": res.status,
                        "b_sent_at": now if res.status == "sent" else None,
                        "b_error": error,
                    }
                )
            if rows:
                for row in rows:
                    row["b_owner"] = self.owner
                conn.execute(_RESULT, rows)
            if blocked_users:
                conn.execute(update(_U).where(_U.c.id.in_(sorted(blocked_users))).values(active=False))
        if reverts:
            conn.execute(
                update(T)
                .where(T.c.key.in_(reverts), T.c.owner == self.owner, T.c.status == "sending")
                .values(status="claimed")
            )
        if sending:
            granted = self._guard(conn, sending)
        return granted

    def _guard(self, conn: Any, msgs: list[DueMessage]) -> set[str]:
        """claimed -> sending, only while the reminder is still wanted; returns the keys granted.

        One guarded UPDATE per message (the usual case: nothing changed); the reasons for
        a refusal are looked up only when there is one.
        """
        granted: set[str] = set()
        refused: list[DueMessage] = []
        for m in msgs:
            stmt = _GUARDED[(m.unit_id is not None, m.done_key is not None)]
            params = {"g_key": m.key, "g_owner": self.owner, "g_user": m.user_id}
            if m.unit_id is not None:
                params.update(g_unit=m.unit_id, g_year=m.year)
            if m.done_key is not None:
                params["g_done"] = m.done_key
            if conn.execute(stmt, params).first():
                granted.add(m.key)
            else:
                refused.append(m)
        if refused:
            self._record_refusals(conn, refused)
        return granted

    def _record_refusals(self, conn: Any, msgs: list[DueMessage]) -> None:
        """Why each refused message is no longer wanted (first reason wins), written as ``skipped``."""
        skip: dict[str, str] = {}
        for reason, refused in (
            ("đơn vị đã nộp báo cáo", _submitted(conn, msgs)),
            ("đã đánh dấu hoàn thành", _marked_done(conn, msgs)),
            ("người nhận đã chặn bot", _inactive(conn, msgs)),
            ("người nhận không còn là thành viên của đơn vị", _not_members(conn, msgs)),
        ):
            for key in refused:
                skip.setdefault(key, reason)
        if skip:
            conn.execute(
                update(T)
                .where(T.c.key == bindparam("b_key"), T.c.owner == self.owner, T.c.status == "claimed")
                .values(status="skipped", error=bindparam("b_error")),
                [{"b_key": k, "b_error": v} for k, v in skip.items()],
            )
        for m in msgs:
            if m.key not in skip:  # not our claim any more: nothing to record
                log.warning("Nhắc hạn: %s không còn được giữ chỗ bởi lần chạy này", m.key)


def _submitted(conn: Any, msgs: list[DueMessage]) -> list[str]:
    unit_ids = sorted({m.unit_id for m in msgs if m.unit_id is not None})
    if not unit_ids:
        return []
    years = sorted({m.year for m in msgs if m.unit_id is not None})
    submitted = set(
        conn.execute(
            select(_S.c.unit_id, _S.c.year).where(_S.c.unit_id.in_(unit_ids), _S.c.year.in_(years)).distinct()
        ).all()
    )
    return [m.key for m in msgs if m.unit_id is not None and (m.unit_id, m.year) in submitted]


def _marked_done(conn: Any, msgs: list[DueMessage]) -> list[str]:
    done_keys = sorted({m.done_key for m in msgs if m.done_key})
    if not done_keys:
        return []
    done = {r[0] for r in conn.execute(select(_ST.c.key).where(_ST.c.key.in_(done_keys)))}
    return [m.key for m in msgs if m.done_key in done]


def _inactive(conn: Any, msgs: list[DueMessage]) -> list[str]:
    ids = sorted({m.user_id for m in msgs})
    inactive = {r[0] for r in conn.execute(select(_U.c.id).where(_U.c.id.in_(ids), _U.c.active == False))}  # noqa: E712
    return [m.key for m in msgs if m.user_id in inactive]


def _not_members(conn: Any, msgs: list[DueMessage]) -> list[str]:
    users = sorted({m.user_id for m in msgs if m.unit_id is not None})
    if not users:
        return []
    still = set(
        conn.execute(
            select(_M.c.user_id, _M.c.unit_id).where(_M.c.user_id.in_(users), _M.c.status == "approved")
        ).all()
    )
    return [m.key for m in msgs if m.unit_id is not None and (m.user_id, m.unit_id) not in still]


@dataclass(slots=True)
class RunReport:
    now: datetime
    due: int = 0  # messages due at ``now`` (whatever the ledger says)
    already: int = 0  # of which already in the ledger (sent, blocked, unknown... by earlier runs)
    claimed: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    skipped: int = 0  # cancelled right before sending (unit submitted meanwhile, user blocked...)
    recovery: Recovery = field(default_factory=Recovery)
    write_errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "due": self.due,
            "already": self.already,
            "claimed": self.claimed,
            "sent": self.sent,
            "blocked": self.blocked,
            "failed": self.failed,
            "skipped": self.skipped,
            "recovered_claims": self.recovery.released,
            "unknown_from_crash": self.recovery.unknown,
            "retried_failures": self.recovery.retried,
            "write_errors": self.write_errors,
        }


def chunks(items: Sequence[DueMessage]) -> list[Sequence[DueMessage]]:
    """A small first chunk (sending starts at once), then ``CLAIM_CHUNK`` rows each."""
    out: list[Sequence[DueMessage]] = [items[:FIRST_CHUNK]] if items else []
    out += [items[i : i + CLAIM_CHUNK] for i in range(FIRST_CHUNK, len(items), CLAIM_CHUNK)]
    return out


async def fan_out(
    engine: Engine,
    outbox: Outbox,
    owner: str,
    msgs: Sequence[DueMessage],
    clock: Callable[[], datetime],
    report: RunReport,
    concurrency: int = 16,
) -> None:
    """Claim and send ``msgs`` (caller holds the fan-out mutex); the next chunk is claimed while the
    current one is being sent."""
    writer = LedgerWriter(engine, owner, clock)
    unique: dict[str, DueMessage] = {}
    for m in msgs:
        unique.setdefault(m.key, m)
    parts = chunks(list(unique.values()))
    pending: asyncio.Task[set[str]] | None = None

    def claim_next(i: int) -> asyncio.Task[set[str]] | None:
        if i >= len(parts):
            return None
        return asyncio.create_task(asyncio.to_thread(claim, engine, owner, parts[i], _utc(clock)))

    try:
        pending = claim_next(0)
        for i, chunk in enumerate(parts):
            assert pending is not None
            got = await pending
            pending = claim_next(i + 1)
            report.claimed += len(got)
            report.already += len(chunk) - len(got)
            to_send = [m for m in chunk if m.key in got]
            if to_send:
                await _send_chunk(outbox, writer, to_send, report, concurrency)
    finally:
        if pending is not None:  # a claim still running: let it finish so that release sees its rows
            with contextlib.suppress(BaseException):
                await pending
        await writer.close()
        report.write_errors += writer.write_errors
        try:
            await asyncio.to_thread(release, engine, owner)
        except Exception:  # the next run's recovery releases them
            log.exception("Nhắc hạn: không trả lại được các lượt đã giữ chỗ")


async def _send_chunk(
    outbox: Outbox, writer: LedgerWriter, to_send: list[DueMessage], report: RunReport, concurrency: int
) -> None:
    by_out = {id(m.outgoing): m for m in to_send}

    async def before_send(out: Any) -> bool:
        # Called by the outbox right after this message's slot was granted: slots come one
        # at a time, evenly spaced, so this commit is normally the only one in flight.
        return await writer.mark_sending(by_out[id(out)])

    async def on_undelivered(out: Any, error: str) -> None:
        await writer.mark_undelivered(by_out[id(out)], error)

    async def on_result(res: DeliveryResult) -> None:
        writer.record(by_out[id(res.outgoing)], res)

    results = await outbox.send_many(
        [m.outgoing for m in to_send],
        concurrency=concurrency,
        before_send=before_send,
        on_result=on_result,
        on_undelivered=on_undelivered,
    )
    for res in results:
        if res.status == "sent":
            report.sent += 1
        elif res.status == "blocked":
            report.blocked += 1
        elif res.status == "skipped":
            report.skipped += 1
        else:
            report.failed += 1
    await writer.flush()
