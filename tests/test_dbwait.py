"""`directive-bot run` with the database unreachable: retries with back-off, then one Vietnamese line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bot.dbwait import EXIT_UNAVAILABLE, wait_for_database
from tests.fakes.zalo_channel import free_port


def test_wait_for_database_retries_then_explains() -> None:
    naps: list[float] = []
    url = f"postgresql+psycopg://bot:hunter2@127.0.0.1:{free_port()}/x?connect_timeout=1"
    problem = wait_for_database(url, 3.0, sleep=naps.append)
    assert problem is not None and "Không kết nối được cơ sở dữ liệu" in problem and "DATABASE_URL" in problem
    assert "hunter2" not in problem
    assert naps[:3] == [0.5, 1.0, 2.0][: len(naps[:3])] and len(naps) >= 1


def test_wait_for_database_ok(tmp_path: Path) -> None:
    assert wait_for_database(f"sqlite:///{tmp_path / 'ok.db'}", 1.0) is None


def test_run_with_database_down_exits_with_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "WEBHOOK_"))}
    env.update(DATABASE_URL=f"postgresql://bot:pw@127.0.0.1:{free_port()}/x", DB_CONNECT_TIMEOUT_SECONDS="2")
    exe = Path(sys.executable).with_name("directive-bot")
    started = time.monotonic()
    done = subprocess.run(
        [str(exe), "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == EXIT_UNAVAILABLE
    lines = [line for line in done.stderr.splitlines() if "Không kết nối được cơ sở dữ liệu" in line]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert time.monotonic() - started < 30
