"""Throughput of the Telegram sending path (outbox + TelegramSender + python-telegram-bot).

Sends N messages to N chats through ``Outbox.send_many`` against the strict fake Bot
API enforcing ``--rate`` messages/s, and prints the time, the minimum possible time,
the 429 answers received, lost and duplicated messages::

    .venv/bin/python -m bench.bench_telegram_send --messages 300 --rate 30
    .venv/bin/python -m bench.bench_telegram_send --messages 3000 --rate 300 [--in-process]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys
import time

import httpx
from telegram import Bot

from bot.channels.telegram_render import CallbackTokens
from bot.channels.telegram_sender import TelegramSender
from bot.messages import Outgoing, Reply
from bot.outbox import Outbox, RateLimit
from tests.fakes.telegram_harness import free_port
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegramServer


async def _external_server(rate: int) -> tuple[subprocess.Popen, str]:
    """The fake Bot API in its own process, like the real one (not competing for our event loop)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.telegram_server",
            "--port",
            str(port),
            "--rate",
            str(rate),
            "--auto-users",
            "--quiet",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.get(f"{root}/_test/stats")
                return proc, root
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    proc.kill()
    raise RuntimeError("the fake Bot API did not start")


async def run(messages: int, rate: int, in_process: bool) -> None:
    fake: FakeTelegramServer | None = None
    proc: subprocess.Popen | None = None
    if in_process:
        fake = FakeTelegramServer(rate=rate, rate_window=1.0, auto_users=True)
        await fake.start()
        root = fake.api_root
    else:
        proc, root = await _external_server(rate)
    bot = Bot(DEFAULT_TOKEN, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")
    await bot.initialize()
    try:
        outbox = Outbox()
        outbox.register(TelegramSender(bot, CallbackTokens(), rate=rate), RateLimit(rate=rate))
        outs = [
            Outgoing("telegram", str(uid), Reply(f"Nhắc hạn #{uid}"), f"telegram:{uid}")
            for uid in range(1, messages + 1)
        ]
        started = time.monotonic()
        results = await outbox.send_many(outs, concurrency=min(256, max(64, rate)))
        elapsed = time.monotonic() - started
        async with httpx.AsyncClient() as client:
            stats = (await client.get(f"{root}/_test/stats")).json()
        received = [stats["per_chat"].get(str(uid), 0) for uid in range(1, messages + 1)]
        lost = sum(1 for n in received if n == 0)
        duplicated = sum(n - 1 for n in received if n > 1)
        where = "in-process" if in_process else "separate process"
        print(
            f"{messages} messages at {rate}/s ({where} server): {elapsed:.2f} s "
            f"(minimum {messages / rate:.2f} s), 429 answers: {stats['count_429']}, "
            f"failed: {sum(1 for r in results if not r.ok)}, lost: {lost}, duplicated: {duplicated}"
        )
    finally:
        await bot.shutdown()
        if fake is not None:
            await fake.stop()
        if proc is not None:
            proc.terminate()
            proc.wait(10)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=300)
    p.add_argument("--rate", type=int, default=30)
    p.add_argument("--in-process", action="store_true", help="run the fake server in this event loop")
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(run(args.messages, args.rate, args.in_process))


if __name__ == "__main__":
    main()
