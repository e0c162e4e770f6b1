"""Two ``directive-bot run`` processes on one PostgreSQL database, webhook mode behind one "URL"
(the test spreads the platform's POSTs over both, as a load balancer would): 200 updates from 50
users → exactly 200 answers, each user's in order (issue 14 item 4)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.botproc import BotProcess
from tests.fakes.zalo_channel import WEBHOOK_SECRET, free_port
from tests.fakes.zalo_server import FakeZaloServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

USERS, PER_USER = 50, 4
TEXTS = ["/start", "Kinh phí thực hiện lấy từ đâu?", "/start", "Kinh phí thực hiện lấy từ đâu?"]


async def test_two_instances_answer_each_update_once(pg_url: str, tmp_path: Path) -> None:
    async with FakeZaloServer() as server:
        ports = [free_port(), free_port()]
        bots = []
        for i, port in enumerate(ports):
            env = {
                "ZALO_BOT_TOKEN": server.token,
                "ZALO_API_URL": server.root_url,
                "ZALO_WEBHOOK_URL": f"http://127.0.0.1:{ports[0]}/hooks/zalo",
                "ZALO_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                "INSTANCE_ID": f"bot-{i}",
                "DATABASE_URL": pg_url,
                "FILES_DIR": str(tmp_path / "files"),
                "ZALO_RATE_LIMIT": "60",
            }
            (tmp_path / f"i{i}").mkdir()
            bots.append(BotProcess(env, tmp_path / f"i{i}").start())
        try:
            for bot in bots:
                await bot.wait_line("Đã khởi động")
            updates = []
            for n in range(PER_USER):  # round n of every user, so one user's updates are far apart in time
                for u in range(USERS):
                    message = server._message(f"m{u}", f"Cán bộ {u}", None)  # a chat the platform knows
                    message["text"] = TEXTS[n]
                    updates.append((u, {"event_name": "message.text.received", "message": message}))
            headers = {"X-Bot-Api-Secret-Token": WEBHOOK_SECRET, "Content-Type": "application/json"}
            statuses: list[int] = []
            async with aiohttp.ClientSession() as http:
                for start in range(0, len(updates), USERS):  # one round at a time, spread over both
                    batch = updates[start : start + USERS]

                    async def post(i: int, update: dict) -> int:
                        url = f"http://127.0.0.1:{ports[i % 2]}/hooks/zalo"
                        body = json.dumps({"ok": True, "result": update}, ensure_ascii=False)
                        async with http.post(url, data=body.encode(), headers=headers) as r:
                            return r.status

                    statuses += await asyncio.gather(*(post(i, upd) for i, (_u, upd) in enumerate(batch)))
            assert statuses == [200] * len(updates)
            deadline = time.monotonic() + 90
            while sum(len(server.texts(f"m{u}")) for u in range(USERS)) < USERS * PER_USER:
                assert time.monotonic() < deadline, "not every update was answered"
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # a duplicate would show up now
            counts = {u: len(server.texts(f"m{u}")) for u in range(USERS)}
            assert set(counts.values()) == {PER_USER}, counts
            for u in range(USERS):  # in order: greeting, answer with its source, greeting, answer
                texts = server.texts(f"m{u}")
                assert ["Xin chào" in t for t in texts] == [True, False, True, False], texts
                assert "Nguồn" in texts[1] and "Nguồn" in texts[3], texts
            both = [b.output.count("Hộp thư") for b in bots]
            for bot in bots:
                code, _ = await bot.terminate(20)
                assert code == 0, bot.output
                assert "Traceback" not in bot.output, bot.output
            print(f"\nanswers: {sum(counts.values())}, instance log lines about the queues: {both}")
        finally:
            for bot in bots:
                bot.kill()
