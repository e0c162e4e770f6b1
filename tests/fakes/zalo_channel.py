"""Drive the real Zalo adapter end to end: app ↔ adapter ↔ HTTP ↔ :class:`FakeZaloServer` ↔ "users".

``ZaloChannel(server, mode)`` builds the adapter of an app (``bot.channels.zalo.build``),
starts it in long-polling or webhook mode (then with the bot's own
:class:`bot.http.WebServer` on a free port), and lets a test speak as Zalo users::

    texts = await zc.say("u1", "/dangky")          # the texts the bot sent back
    texts = await zc.choose("u1", "Xác nhận")      # types the number of that numbered line
    texts = await zc.send_image("u1", png_bytes)

Each call waits until the adapter has finished that event (``adapter.completed``), so
no sleeps and no guessing.
"""

from __future__ import annotations

import dataclasses
import re
import socket
from typing import Any

from bot.channels import zalo
from bot.http import WebServer
from tests.fakes.zalo_server import FakeZaloServer

WEBHOOK_SECRET = "zalo-webhook-secret-0123456789"
_NUMBERED = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ZaloChannel:
    def __init__(self, server: FakeZaloServer, mode: str = "polling", secret: str = WEBHOOK_SECRET) -> None:
        if mode not in ("polling", "webhook"):
            raise ValueError(mode)
        self.server = server
        self.mode = mode
        self.secret = secret
        self.port = free_port() if mode == "webhook" else 0
        self.names: dict[str, str] = {}  # Zalo display name of each user (kept from the first one given)
        self.adapter: zalo.ZaloAdapter | None = None
        self.web: WebServer | None = None

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/zalo/webhook" if self.mode == "webhook" else ""

    def configure(self, settings: Any) -> Any:
        """``settings`` with the Zalo variables pointing at the fake server (and webhook, if any)."""
        return dataclasses.replace(
            settings,
            zalo_token=self.server.token,
            zalo_api_url=self.server.root_url,
            zalo_webhook_url=self.webhook_url,
            zalo_webhook_secret=self.secret if self.mode == "webhook" else "",
            webhook_listen=f"127.0.0.1:{self.port}" if self.mode == "webhook" else "",
        )

    async def start(self, app: Any) -> zalo.ZaloAdapter:
        """Build and start the adapter of ``app`` (whose settings must come from :meth:`configure`)."""
        adapter = zalo.build(app)
        assert adapter is not None, "ZALO_BOT_TOKEN missing from the app's settings"
        self.adapter = adapter
        if self.mode == "webhook":
            self.web = WebServer("127.0.0.1", self.port)
        await adapter.start(self.web)
        if self.web is not None:
            await self.web.start()
        return adapter

    async def stop(self) -> None:
        if self.adapter is not None:
            await self.adapter.stop()
        if self.web is not None:
            await self.web.stop()

    # ------------------------------------------------------------------ speaking as users
    async def _roundtrip(self, user: str, inject: Any, timeout: float) -> list[str]:
        assert self.adapter is not None
        before_texts = len(self.server.texts(user))
        before = self.adapter.completed
        inject()
        await self.adapter.wait_completed(before + 1, timeout)
        return self.server.texts(user)[before_texts:]

    def name(self, user: str, name: str = "") -> str:
        if name:
            self.names[user] = name
        return self.names.setdefault(user, f"Cán bộ {user}")

    async def say(self, user: str, text: str, name: str = "", timeout: float = 15.0) -> list[str]:
        display = self.name(user, name)
        return await self._roundtrip(
            user, lambda: self.server.inject_text(user, text, display_name=display), timeout
        )

    async def send_image(
        self, user: str, data: bytes, caption: str | None = None, timeout: float = 15.0, **kw: Any
    ) -> list[str]:
        display = self.name(user)
        return await self._roundtrip(
            user,
            lambda: self.server.inject_image(user, data, caption=caption, display_name=display, **kw),
            timeout,
        )

    async def replay(self, user: str, update: dict[str, Any], timeout: float = 15.0) -> list[str]:
        return await self._roundtrip(user, lambda: self.server.redeliver(update), timeout)

    def options(self, user: str) -> tuple[list[tuple[int, str]], bool]:
        """The choices of the last message that offered any: ([(n, label)], numbered?)."""
        for text in reversed(self.server.texts(user)):
            if zalo.CHOICE_HEADER in text:  # the choices, not a numbered summary above them
                block = text.split(zalo.CHOICE_HEADER, 1)[1]
                return [(int(n), label.strip()) for n, label in _NUMBERED.findall(block)], True
            if zalo.CHOICE_WORDS_HEADER in text:
                block = text.split(zalo.CHOICE_WORDS_HEADER, 1)[1]
                labels = [line[2:].strip() for line in block.splitlines() if line.startswith("- ")]
                return list(enumerate(labels, 1)), False
        return [], True

    def number_of(self, user: str, label_part: str) -> int:
        options, numbered = self.options(user)
        assert numbered, f"the last choices are not numbered: {options!r}"
        for n, label in options:
            if label_part.lower() in label.lower():
                return n
        raise AssertionError(f"no numbered line containing {label_part!r}: {options!r}")

    async def choose(self, user: str, label_part: str, timeout: float = 15.0) -> list[str]:
        """Answer the last choices as a Zalo user would: the line's number, or its words when the
        choices are not numbered (a free-text question with a "Bỏ qua" option)."""
        options, numbered = self.options(user)
        for n, label in options:
            if label_part.lower() in label.lower():
                return await self.say(user, str(n) if numbered else label, timeout=timeout)
        raise AssertionError(f"no choice containing {label_part!r}: {options!r}")
