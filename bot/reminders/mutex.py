"""One reminder fan-out at a time per database, across processes and hosts.

Why: the ledger's unique key already prevents a second instance from sending a
reminder twice, but two instances fanning out at once would each run at the
channel's full rate (twice the allowed rate together: a 429 storm), and crash
recovery needs to know that a ``claimed`` row belongs to a dead run, not to a live
one.  Holding this lock for the whole run gives both: whoever holds it is the only
live fan-out, so every ``claimed``/``sending`` row of another owner is an orphan.

- PostgreSQL: a session-level advisory lock on a dedicated connection. The server
  releases it when the connection ends, including when the process is SIGKILLed.
- SQLite: ``flock`` on ``<database file>.reminders.lock`` (SQLite databases are
  local files, so every process using it is on this host); the kernel releases it
  when the process dies.
- anything else (SQLite in memory): a process-local lock only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

ADVISORY_KEY = 0x5500_0006_A11CE  # fixed bigint: "the reminder fan-out" of this bot

# Process-local locks, one per database URL: coroutines of one process queue here
# instead of polling the cross-process lock.
_local: dict[tuple[str, int], asyncio.Lock] = {}


class MutexTimeout(TimeoutError):
    """Another run held the lock for longer than we were willing to wait."""


class FanoutMutex:
    def __init__(self, engine: Engine, timeout: float = 900.0, poll: float = 0.2) -> None:
        self.engine = engine
        self.timeout = timeout
        self.poll = poll
        self._url = engine.url.render_as_string(hide_password=True)
        self._conn: Any = None
        self._fd: int | None = None
        self._held_local: asyncio.Lock | None = None

    def _lock_path(self) -> Path | None:
        url = self.engine.url
        if url.get_backend_name() != "sqlite":
            return None
        db = url.database
        if not db or db == ":memory:" or db.startswith("file:"):
            return None
        return Path(db).expanduser().resolve().with_name(Path(db).name + ".reminders.lock")

    def _try(self) -> bool:
        """One non-blocking attempt at the cross-process lock (runs in a thread)."""
        backend = self.engine.url.get_backend_name()
        if backend == "postgresql":
            conn = self.engine.connect()
            try:
                got = bool(
                    conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
                )
                conn.commit()
            except Exception:
                conn.close()
                raise
            if got:
                self._conn = conn
            else:
                conn.close()
            return got
        path = self._lock_path()
        if path is None:
            return True
        import fcntl

        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def _release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                conn.commit()
            except Exception:  # really close the session (not back to the pool): that releases the lock
                log.warning("pg_advisory_unlock failed; closing the database session releases the lock")
                conn.invalidate()
            finally:
                conn.close()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # releases the flock

    async def __aenter__(self) -> FanoutMutex:
        key = (self._url, id(asyncio.get_running_loop()))  # an asyncio.Lock belongs to one loop
        local = _local.setdefault(key, asyncio.Lock())
        try:
            await asyncio.wait_for(local.acquire(), self.timeout)
        except TimeoutError:
            raise MutexTimeout("another reminder run of this process is still going") from None
        self._held_local = local
        deadline = time.monotonic() + self.timeout
        waited = False
        try:
            while not await asyncio.to_thread(self._try):
                if not waited:
                    log.info("Một tiến trình khác đang gửi nhắc hạn; chờ nó xong...")
                    waited = True
                if time.monotonic() > deadline:
                    raise MutexTimeout("another process held the reminder lock too long")
                await asyncio.sleep(self.poll)
        except BaseException:
            local.release()
            self._held_local = None
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await asyncio.to_thread(self._release)
        finally:
            if self._held_local is not None:
                with contextlib.suppress(RuntimeError):
                    self._held_local.release()
                self._held_local = None
