"""Bounded worker pools for database work: a heavy command never delays other users' messages.

    rows = await app.db.run(overview, app.store, year, heavy=True)   # exports, overviews, reports
    unit = await app.db.run(store.approved_unit, user_id)             # everything else

Two thread pools, sized from settings (``DB_WORKERS``, ``DB_HEAVY_WORKERS``): *light*
work (one user's lookups and writes, milliseconds each) and *heavy* work (a whole
province's overview, an export, a broadcast's recipients, a compiled report). Before
this, every handler shared asyncio's default pool of 6 threads: six concurrent
``/nhacnho`` of 5 s each held all of them, and an unrelated question waited 10–37 s.
Now heavy jobs queue behind each other on their own (small) pool; light jobs never
wait for a heavy one to free a thread. Python threads share one interpreter lock, so
the heavy pool is kept small (1 by default): one CPU-bound heavy job at a time leaves
the interpreter to ordinary messages most of the time.

Each job has a deadline (``DB_TIMEOUT``, ``DB_HEAVY_TIMEOUT`` seconds, queueing
included) and too many heavy jobs waiting are refused at once: both raise
:class:`Busy`, whose ``text`` is the Vietnamese reply (the dispatcher sends it). A job
that timed out while still queued never starts; one already running finishes in the
background (a thread cannot be interrupted) and its result is dropped.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Busy(Exception):
    """The request could not be served in time; ``text`` is the reply for the user (Vietnamese)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def timeout_text(seconds: float) -> str:
    return (
        f"Hệ thống đang bận, yêu cầu của bạn chưa xử lý xong sau {seconds:.0f} giây. "
        "Vui lòng thử lại sau ít phút."
    )


QUEUE_FULL_TEXT = (
    "Hệ thống đang xử lý nhiều yêu cầu tổng hợp cùng lúc. Vui lòng thử lại sau ít phút; "
    "các câu hỏi và báo cáo thông thường vẫn được xử lý bình thường."
)


@dataclass(frozen=True, slots=True)
class PoolSizes:
    light_workers: int = 8
    heavy_workers: int = 1
    light_timeout: float = 20.0
    heavy_timeout: float = 60.0
    heavy_queue: int = 16  # heavy jobs waiting at most; more are refused at once
    switch_interval: float = 0.001  # seconds; see DBExecutor.__init__


class DBExecutor:
    """``await run(fn, *args, heavy=False, timeout=None, **kwargs)``: ``fn`` in the right pool."""

    def __init__(self, sizes: PoolSizes | None = None) -> None:
        self.sizes = sizes or PoolSizes()
        self._light = ThreadPoolExecutor(self.sizes.light_workers, thread_name_prefix="db-light")
        self._heavy = ThreadPoolExecutor(self.sizes.heavy_workers, thread_name_prefix="db-heavy")
        self._heavy_pending = 0
        self._lock = threading.Lock()
        # A heavy job is CPU-bound Python holding the interpreter lock; the event loop (every other
        # user's message) waits for it up to the switch interval each time it needs the lock, several
        # times per message. 1 ms instead of CPython's 5 ms bounds that wait (process-wide setting).
        if self.sizes.switch_interval and sys.getswitchinterval() > self.sizes.switch_interval:
            sys.setswitchinterval(self.sizes.switch_interval)

    @classmethod
    def from_settings(cls, settings: Any) -> DBExecutor:
        defaults = PoolSizes()
        return cls(
            PoolSizes(
                light_workers=getattr(settings, "db_workers", defaults.light_workers),
                heavy_workers=getattr(settings, "db_heavy_workers", defaults.heavy_workers),
                light_timeout=getattr(settings, "db_timeout", defaults.light_timeout),
                heavy_timeout=getattr(settings, "db_heavy_timeout", defaults.heavy_timeout),
            )
        )

    @property
    def heavy_pending(self) -> int:
        """Heavy jobs submitted and not finished (running or queued)."""
        return self._heavy_pending

    async def run(
        self,
        fn: Callable[..., T],
        *args: Any,
        heavy: bool = False,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> T:
        """Run ``fn(*args, **kwargs)`` in the light or heavy pool; :class:`Busy` past the deadline."""
        if heavy and self._heavy_pending >= self.sizes.heavy_workers + self.sizes.heavy_queue:
            raise Busy(QUEUE_FULL_TEXT)
        limit = (
            timeout
            if timeout is not None
            else (self.sizes.heavy_timeout if heavy else self.sizes.light_timeout)
        )
        call = functools.partial(contextvars.copy_context().run, functools.partial(fn, *args, **kwargs))
        pool = self._heavy if heavy else self._light
        cf = pool.submit(call)
        if heavy:
            with self._lock:
                self._heavy_pending += 1
            cf.add_done_callback(self._heavy_done)  # when the thread is really done (or never started)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(cf), limit)
        except TimeoutError:
            kind = "heavy" if heavy else "light"
            log.warning("DB job %s exceeded %.0f s (%s)", getattr(fn, "__name__", fn), limit, kind)
            raise Busy(timeout_text(limit)) from None

    def _heavy_done(self, _fut: Any) -> None:
        with self._lock:
            self._heavy_pending -= 1

    def close(self) -> None:
        self._light.shutdown(wait=False, cancel_futures=True)
        self._heavy.shutdown(wait=False, cancel_futures=True)
