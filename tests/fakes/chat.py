"""Driving the conversation core in tests, à la Errbot's ``push_message`` / ``pop_message``.

``ChatDriver(app)`` sends :class:`~bot.messages.Incoming` messages straight to
``app.dispatcher`` (no transport) and keeps each user's replies in a queue::

    await chat.push("alice", "/dangky")
    assert "tên đơn vị" in chat.pop("alice")
    await chat.push("alice", choice="u:12")
    replies = await chat.send("alice", "1")   # returns the replies directly

Users are console users (``console:<name>``) unless ``channel=`` says otherwise.
Broadcasts and notifications the app sends through its outbox to console users are
read with :meth:`ChatDriver.outbox`.
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.messages import Attachment, Incoming, Reply


class FakeClock:
    """An injectable clock for ``build_app(clock=...)``: fixed until moved."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2025, 6, 15, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kw: float) -> None:
        self.current += timedelta(**kw)

    def set(self, when: datetime) -> None:
        self.current = when if when.tzinfo else when.replace(tzinfo=UTC)


class ChatDriver:
    def __init__(self, app: Any, channel: str = "console") -> None:
        self.app = app
        self.channel = channel
        self.queues: dict[str, deque[Reply]] = defaultdict(deque)
        self.last: dict[str, list[Reply]] = {}

    def message(
        self,
        user: str,
        text: str | None = None,
        choice: str | None = None,
        attachments: list[Attachment] | None = None,
        channel: str | None = None,
        name: str | None = None,
    ) -> Incoming:
        return Incoming(
            channel=channel or self.channel,
            user_id=user,
            chat_id=user,
            text=text,
            choice=choice,
            display_name=name if name is not None else user,
            attachments=list(attachments or []),
        )

    async def send(self, user: str, text: str | None = None, **kw: Any) -> list[Reply]:
        """Send one message; returns its replies (also queued for :meth:`pop`)."""
        replies = await self.app.dispatcher.handle(self.message(user, text, **kw))
        self.last[user] = replies
        self.queues[user].extend(replies)
        return replies

    async def push(self, user: str, text: str | None = None, **kw: Any) -> None:
        await self.send(user, text, **kw)

    async def say(self, user: str, text: str | None = None, **kw: Any) -> str:
        """Send and return all reply texts joined by blank lines (queue not used)."""
        replies = await self.send(user, text, **kw)
        self.queues[user].clear()
        return "\n\n".join(r.text for r in replies)

    def pop(self, user: str) -> str:
        """The oldest reply not yet popped for ``user`` (text only)."""
        if not self.queues[user]:
            raise AssertionError(f"no reply queued for {user!r}")
        return self.queues[user].popleft().text

    def pop_reply(self, user: str) -> Reply:
        if not self.queues[user]:
            raise AssertionError(f"no reply queued for {user!r}")
        return self.queues[user].popleft()

    def choices(self, user: str) -> list[tuple[str, str]]:
        """(label, value) of the choices in the last replies sent to ``user``."""
        out: list[tuple[str, str]] = []
        for r in self.last.get(user, []):
            out.extend((c.label, c.value) for c in r.choices)
        return out

    def choice_value(self, user: str, label_part: str) -> str:
        """The value of the first offered choice whose label contains ``label_part``."""
        for label, value in self.choices(user):
            if label_part.lower() in label.lower():
                return value
        raise AssertionError(f"no choice containing {label_part!r} in {self.choices(user)!r}")

    def outbox(self, user: str | None = None) -> list[str]:
        """Texts the app sent on its own (broadcasts, notifications) to console users."""
        return [r.text for r in self.app.console.take(user)]

    # ------------------------------------------------------------ journeys
    async def register(
        self,
        user: str,
        unit: str,
        *,
        admin: str | None = "admin",
        approve: bool = True,
        profile: str | None = None,
    ) -> None:
        """/dangky UNIT, pick the first match, then (as ``admin``) approve or reject the request."""
        await self.send(user, f"/dangky {unit}")
        value = next((v for _label, v in self.choices(user) if v.startswith("u:")), None)
        if value is None:
            raise AssertionError(f"no unit offered for {unit!r}: {[r.text for r in self.last[user]]}")
        await self.send(user, choice=value)
        if any("họ tên và chức vụ" in r.text for r in self.last[user]):
            # who they are (issue 15 item 8): "full name, position"
            await self.send(user, profile or f"Cán bộ {user.capitalize()}, chuyên viên")
        if admin is None:
            return
        store = self.app.store
        db_user = store.get_user(f"{self.channel}:{user}")
        m = store.current_membership(db_user.id)
        await self.send(admin, choice=f"/duyet {'ok' if approve else 'no'} {m.id}")

    async def report(self, user: str, answers: list[Any] | None = None, confirm: bool = True) -> list[Reply]:
        """Fill /baocao with ``answers`` (one per field; None = skip, Attachment = a file), then confirm."""
        answers = (
            answers
            if answers is not None
            else ["2024", "5", "Mô hình Camera an ninh", "Giảm 20% vụ việc", None, None, "150 triệu", None]
        )
        await self.send(user, "/baocao")
        for i, a in enumerate(answers):
            if i == 1 and any(v == "fresh" for _label, v in self.choices(user)):
                await self.send(user, choice="fresh")  # already reported that year: start over
            if a is None:
                await self.send(user, choice="skip")
            elif isinstance(a, Attachment):
                await self.send(user, attachments=[a])
            else:
                await self.send(user, str(a))
        if not confirm:
            return self.last[user]
        return await self.send(user, choice="ok")
