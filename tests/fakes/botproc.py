"""``directive-bot run`` as a real process for the crash and shutdown tests, with its log captured."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


class BotProcess:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "WEBHOOK_"))}
        self.env = {**base, "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1", **env}
        self.cwd = cwd
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []

    def start(self) -> BotProcess:
        exe = Path(sys.executable).with_name("directive-bot")
        self.proc = subprocess.Popen(
            [str(exe), "run"],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()
        return self

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    async def wait_line(self, needle: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(needle in line for line in list(self.lines)):
                return
            if self.proc is not None and self.proc.poll() is not None:
                await asyncio.sleep(0.2)
                if any(needle in line for line in list(self.lines)):
                    return
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"{needle!r} not seen; output:\n{self.output}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    async def terminate(self, timeout: float) -> tuple[int, float]:
        """SIGTERM; (exit code, seconds it took)."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(self.proc.wait, timeout)
        return code, time.monotonic() - started
