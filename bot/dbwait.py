"""Start-up against a database that is not up yet (a container starting, a failover): retry, then say so."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import text

from bot.storage.db import make_engine

log = logging.getLogger(__name__)

EXIT_UNAVAILABLE = 2  # what `export` and the other commands return when they cannot start


def _describe(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {first}"[:300]


def wait_for_database(url: str, timeout: float, *, sleep: Callable[[float], None] = time.sleep) -> str | None:
    """None once ``SELECT 1`` works; else, after ``timeout`` seconds of retries with back-off
    (0,5 s doubling to 10 s), one Vietnamese line saying why (the URL's password is never shown)."""
    from sqlalchemy.engine import make_url

    engine = make_engine(url)
    safe = make_url(engine.url).render_as_string(hide_password=True)
    deadline = time.monotonic() + timeout
    delay = 0.5
    attempt = 0
    try:
        while True:
            attempt += 1
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return None
            except Exception as exc:  # the driver's errors differ; all mean "not reachable yet"
                reason = _describe(exc)
                if time.monotonic() + delay > deadline:
                    return (
                        f"Không kết nối được cơ sở dữ liệu {safe} (DATABASE_URL) sau {attempt} lần thử "
                        f"trong {timeout:g} giây: {reason}"
                    )
                if attempt == 1:
                    log.warning("Chưa kết nối được cơ sở dữ liệu (%s); đang thử lại…", reason)
                sleep(delay)
                delay = min(delay * 2, 10.0)
    finally:
        engine.dispose()
