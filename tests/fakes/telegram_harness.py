"""The whole bot on Telegram, in-process, against :class:`FakeTelegramServer`.

``TelegramHarness`` builds the real application (``build_app``), the real adapter
(python-telegram-bot's polling loop, or the bot's own aiohttp webhook server) and
points it at the fake Bot API.  Helpers return what the bot sent in reply, after
the adapter has finished with the update (no sleeps)::

    async with TelegramHarness.running(tmp_path, pack=pack, qa=qa_engine) as h:
        replies = await h.say(1001, "/start")
        replies = await h.press(1001, "Xác nhận")
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.http import WebServer
from tests.fakes.telegram_server import FakeTelegramServer, SentMessage

ADMIN_ID = 9001
WEBHOOK_SECRET = "test_secret-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class TelegramHarness:
    fake: FakeTelegramServer
    app: Any
    adapter: Any
    web: WebServer | None = None
    marks: dict[int, int] = field(default_factory=dict)

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls,
        tmp_path: Path,
        *,
        webhook: bool = False,
        database_url: str | None = None,
        pack: Any = None,
        qa: Any = None,
        clock: Any = None,
        fake: FakeTelegramServer | None = None,
        **settings: Any,
    ) -> AsyncIterator[TelegramHarness]:
        from bot.app import build_app
        from bot.channels import telegram

        fake = fake or FakeTelegramServer()
        await fake.start()
        web: WebServer | None = None
        app = None
        adapter = None
        try:
            base = Settings(
                database_url=database_url or f"sqlite:///{tmp_path / 'bot.db'}",
                admins=frozenset({f"telegram:{ADMIN_ID}"}),
                files_dir=str(tmp_path / "files"),
                max_attachment_bytes=1024 * 1024,
                telegram_token=fake.token,
                telegram_api_url=fake.api_root,
            )
            if webhook:
                port = free_port()
                base = replace(
                    base,
                    telegram_webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
                    telegram_webhook_secret=WEBHOOK_SECRET,
                )
            base = replace(base, **settings)
            kwargs: dict[str, Any] = {"pack": pack}
            if qa is not None:
                kwargs["qa"] = qa
            if clock is not None:
                kwargs["clock"] = clock
            app = build_app(base, **kwargs)
            adapter = telegram.build(app)
            assert adapter is not None
            address = base.listen_address()
            web = WebServer(*address) if address else None
            await adapter.start(web)
            if web is not None:
                await web.start()
            harness = cls(fake, app, adapter, web)
            if webhook:
                await harness.wait_webhook_set()
            yield harness
        finally:
            if adapter is not None:
                await adapter.stop()
            if web is not None:
                await web.stop()
            if app is not None:
                app.close()
            await fake.stop()

    async def wait_webhook_set(self, timeout: float = 10.0) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.fake.webhook_url:
            if loop.time() > deadline:
                raise AssertionError("the bot did not call setWebhook")
            await asyncio.sleep(0.02)

    # --------------------------------------------------------------- user side
    async def _after(self, user_id: int, update_id: int) -> list[SentMessage]:
        start = self.marks.get(user_id, len(self.fake.messages(user_id)))
        await self.adapter.wait_processed(update_id)
        msgs = self.fake.messages(user_id)
        self.marks[user_id] = len(msgs)
        return msgs[start:]

    def _mark(self, user_id: int) -> None:
        self.marks[user_id] = len(self.fake.messages(user_id))

    async def say(self, user_id: int, text: str) -> list[SentMessage]:
        """The user types ``text``; returns the bot's messages that followed in that chat."""
        self._mark(user_id)
        return await self._after(user_id, self.fake.send_text(user_id, text))

    async def press(self, user_id: int, label: str, message_id: int | None = None) -> list[SentMessage]:
        """The user presses the button ``label`` (on the last keyboard unless ``message_id``)."""
        self._mark(user_id)
        return await self._after(user_id, self.fake.press(user_id, message_id, text=label))

    async def send_document(
        self, user_id: int, data: bytes, name: str, mime: str = "application/pdf", **kw: Any
    ) -> list[SentMessage]:
        self._mark(user_id)
        return await self._after(user_id, self.fake.send_document(user_id, data, name, mime, **kw))

    async def send_photo(self, user_id: int, data: bytes, caption: str | None = None) -> list[SentMessage]:
        self._mark(user_id)
        return await self._after(user_id, self.fake.send_photo(user_id, data, caption))


def text_of(messages: list[SentMessage]) -> str:
    return "\n---\n".join(m.text for m in messages)
