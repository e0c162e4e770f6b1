"""The channel-agnostic conversation core: :class:`Dispatcher`.

``await dispatcher.handle(Incoming) -> list[Reply]``:

1. the sender's :class:`~bot.storage.models.User` row is created or refreshed;
2. their dialog state is loaded from the database (a restart resumes a form);
3. a typed answer to the last choices offered ("2", or the label, diacritics optional)
   becomes that choice — so Zalo, which has no buttons, works like Telegram;
4. routing: ``/command`` (always) → cancel words (always) → the current flow's
   handler → a pressed choice → a whole-message keyword → the free-text fallback
   (question answering);
5. the state the handler left in ``ctx.state`` is committed before the replies are
   returned.

Messages of one user run one at a time, in arrival order (a per-user lock);
different users run concurrently.

Handler conventions (see :mod:`bot.router` and :mod:`bot.context`):

- a flow is started with :func:`begin` and ended with ``ctx.state = None``;
- ``ctx.expects_free_text = True`` tells the dispatcher that the next input is free
  text (a number typed is an answer, not "choice number N");
- ``ctx.qa_context`` is kept for the next question (follow-ups);
- ``router.flow("__default__")`` registers the handler for free text outside a flow;
- a choice pressed (or forged) that was not among the last choices offered is refused
  before any handler sees it; a choice whose value is a command (``/duyet ok 12``) runs
  that command, with the same authorization as typing it;
- a command with an :class:`~bot.codec.ArgSpec` also runs when typed as plain words with
  arguments ("duyệt ok 2", "tong hop 2024"), if the arguments parse;
- a flow left for a while (a restart, or :data:`RESUME_AFTER`) is *resumed*: typed text is
  not taken as the pending answer; the flow's ``resume`` step repeats its question first.

Dialog state keeps the dispatcher's own bookkeeping under ``data["_meta"]``
(last choices, QA context, the process that saved it); handlers never see that key.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.context import Context
from bot.durable.turn import persist_state
from bot.locks import KeyedLock
from bot.messages import Choice, Incoming, Reply
from bot.router import CommandSpec, Flow, Handler, HandlerResult, Router
from bot.storage.executor import Busy
from bot.storage.models import DialogState
from bot.text import fold, looks_like_question

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["DEFAULT_FLOW", "Dispatcher", "as_replies", "begin", "fold", "load_routers"]

log = logging.getLogger(__name__)

DEFAULT_FLOW = "__default__"
CANCEL_COMMAND = "huy"
CANCEL_WORDS = ("hủy", "huỷ", "hủy bỏ", "huỷ bỏ", "cancel", "thôi hủy")
MAX_TEXT = 20_000  # longer messages are cut (a form field has its own, smaller limit)
RESUME_AFTER = timedelta(minutes=30)  # a flow left this long is resumed, not continued
RESTART_GRACE = timedelta(minutes=1)  # saved by another process (a restart) and left this long: resumed
MAX_KEYWORD_WORDS = 5

ERROR_TEXT = "Xin lỗi, đã có lỗi khi xử lý tin nhắn. Vui lòng thử lại sau ít phút."
FLOW_REMINDER = "Bạn vẫn đang làm dở thao tác trước: trả lời tiếp câu hỏi trên, hoặc gõ /huy để hủy."
STALE_CHOICE = "Lựa chọn này đã hết hạn hoặc không có trong các lựa chọn vừa đưa ra."
BLANK_HINT = "Tin nhắn trống. Gõ câu hỏi về văn bản, hoặc /trogiup để xem các lệnh."
RESUMED_TEXT = (
    "Bạn đang làm dở “{title}” (lần trước lúc {when}). Tin nhắn vừa rồi chưa được lưu làm câu trả lời; "
    "trả lời lại câu hỏi dưới đây, hoặc gõ /huy để hủy."
)


def _snapshot(state: DialogState | None) -> tuple[str, str, str] | None:
    if state is None:
        return None
    return state.flow, state.step, json.dumps(state.data, sort_keys=True, default=str)


def begin(ctx: Context, flow: str, step: str = "", data: dict[str, Any] | None = None) -> DialogState:
    """Start (or restart) a flow for the sender; committed after the handler returns."""
    ctx.state = DialogState(user_key=ctx.msg.user_key, flow=flow, step=step, data=dict(data or {}))
    ctx.resumed = False
    return ctx.state


def as_replies(result: HandlerResult) -> list[Reply]:
    """Handlers may return a Reply, a string, a list of them, or None."""
    if result is None:
        return []
    if isinstance(result, (Reply, str)):
        result = [result]
    out: list[Reply] = []
    for item in result:
        if isinstance(item, Reply):
            out.append(item)
        elif isinstance(item, str):
            out.append(Reply(item))
        elif item is not None:
            raise TypeError(f"handler returned {type(item).__name__}")
    return out


def load_routers(module_names: Iterable[str]) -> list[Router]:
    """Import the ``handlers.<x>`` modules listed; a missing module or one without a router is an error
    (a typo in ``handlers.ROUTERS`` must not silently drop commands)."""
    routers: list[Router] = []
    for name in module_names:
        module = importlib.import_module(name)
        router = getattr(module, "router", None)
        if not isinstance(router, Router):
            raise ImportError(f"{name} defines no `router = Router(...)`")
        if not router.name:
            router.name = name
        routers.append(router)
    return routers


@dataclass(slots=True)
class _Meta:
    choices: list[tuple[str, str]]
    numbers: bool
    qa: dict[str, Any] | None
    boot: str = ""

    @classmethod
    def load(cls, raw: Any) -> _Meta:
        raw = raw if isinstance(raw, dict) else {}
        choices = [
            (str(c[0]), str(c[1]))
            for c in raw.get("choices", [])
            if isinstance(c, list | tuple) and len(c) == 2
        ]
        qa = raw.get("qa")
        numbers = bool(raw.get("numbers", True))
        return cls(choices, numbers, qa if isinstance(qa, dict) else None, str(raw.get("boot", "")))

    def dump(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.choices:
            d["choices"] = [list(c) for c in self.choices]
            d["numbers"] = self.numbers
        if self.qa:
            d["qa"] = self.qa
        return d

    @property
    def values(self) -> set[str]:
        return {value for _label, value in self.choices}


def _as_utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


class Dispatcher:
    """Routes each incoming message to a command, the user's flow or the fallback."""

    def __init__(self, app: App, routers: list[Router]) -> None:
        self.app = app
        self.routers = routers
        self.commands: dict[str, CommandSpec] = {}
        self.keywords: dict[str, CommandSpec] = {}
        self.flows: dict[str, Handler] = {}
        for router in routers:
            for spec in router.commands:
                self.commands.setdefault(spec.name, spec)
                for kw in (spec.name, *spec.keywords):
                    self.keywords.setdefault(fold(kw), spec)
            for name, fn in router.flows.items():
                if name in self.flows:
                    raise ValueError(f"flow {name!r} registered by two routers")
                self.flows[name] = fn
        self._locks = KeyedLock()
        self._cancel_words = {fold(w) for w in CANCEL_WORDS}
        self.boot = uuid.uuid4().hex[:12]  # this process: a state saved by another one was a restart ago

    @property
    def command_specs(self) -> list[CommandSpec]:
        """Every command, in router priority order (for help texts and command menus)."""
        return [spec for r in self.routers for spec in r.commands]

    async def handle(self, msg: Incoming) -> list[Reply]:
        """Process one message; the replies are for the chat it came from."""
        async with self._locks.hold(msg.user_key):
            return await self._handle(msg)

    async def offer(self, user_key: str, choices: list[Choice]) -> None:
        """Remember choices the bot sent on its own (a notification with buttons), so that typing
        their number or label works on channels without buttons (Zalo).  Not while the user is in
        a flow: the flow's own choices win."""
        if not choices:
            return
        store = self.app.store
        row = await asyncio.to_thread(store.get_state, user_key)
        if row is not None and row.flow:
            return
        data = dict(row.data or {}) if row is not None else {}
        meta = _Meta.load(data.get("_meta"))
        meta.choices, meta.numbers = [(c.label, c.value) for c in choices], True
        data["_meta"] = meta.dump()
        await asyncio.to_thread(store.save_state, user_key, "", "", data)

    # ------------------------------------------------------------------ core
    async def _handle(self, msg: Incoming) -> list[Reply]:
        store = self.app.store
        if msg.text is not None and len(msg.text) > MAX_TEXT:
            msg = replace(msg, text=msg.text[:MAX_TEXT])
        user, row = await asyncio.to_thread(
            store.begin_message, msg.channel, msg.user_id, msg.chat_id, msg.display_name
        )
        data = dict(row.data or {}) if row is not None else {}
        meta = _Meta.load(data.pop("_meta", None))
        state = None
        if row is not None and row.flow:
            state = DialogState(user_key=row.user_key, flow=row.flow, step=row.step, data=data)

        msg = self._resolve_choice(msg, meta)
        ctx = Context(
            app=self.app,
            msg=msg,
            user=user,
            is_admin=self.app.settings.is_admin(msg.user_key),
            state=state,
            qa_context=meta.qa,
            resumed=state is not None and self._paused(row, meta),
            last_active=row.updated_at if row is not None else None,
        )
        before = _snapshot(state)
        try:
            replies = as_replies(await self._route(ctx, meta))
        except Busy as exc:  # a database job past its deadline, or too many heavy ones queued
            return [Reply(exc.text)]
        except Exception:
            log.exception("handler failed for %s (flow=%s)", msg.user_key, state.flow if state else "")
            return [Reply(ERROR_TEXT)]

        if (
            state is not None
            and not self._soft(ctx)
            and ctx.state is state
            and ctx.via_command
            and _snapshot(ctx.state) == before
            and not any(r.choices for r in replies)
        ):
            # A command (/trangthai...) in the middle of a form: the form waits; say so and offer
            # the same choices again, so "1" still means what it meant before.
            replies.append(Reply(FLOW_REMINDER, [Choice(label, value) for label, value in meta.choices]))
            ctx.expects_free_text = not meta.numbers
        await self._save(ctx, replies)
        return replies

    def _soft(self, ctx: Context) -> bool:
        handler = self.flows.get(ctx.state.flow) if ctx.state is not None else None
        return isinstance(handler, Flow) and ctx.state is not None and ctx.state.step in handler.soft_steps

    def _paused(self, row: DialogState | None, meta: _Meta) -> bool:
        """The flow was left for a while: :data:`RESUME_AFTER`, or a restart and a minute."""
        saved = _as_utc(row.updated_at) if row is not None else None
        if saved is None:
            return False
        idle = self.app.clock().astimezone(UTC) - saved
        return idle > RESUME_AFTER or (meta.boot != self.boot and idle > RESTART_GRACE)

    def _resolve_choice(self, msg: Incoming, meta: _Meta) -> Incoming:
        """A typed number or label answers the last choices offered to this user."""
        if msg.choice is not None or not msg.text or not meta.choices:
            return msg
        text = msg.text.strip()
        if meta.numbers and text.isdecimal() and len(text) <= 3 and 1 <= int(text) <= len(meta.choices):
            return replace(msg, choice=meta.choices[int(text) - 1][1], text=None)
        folded = fold(text)
        if folded:
            for label, value in meta.choices:
                if fold(label) == folded:
                    return replace(msg, choice=value, text=None)
        return msg

    async def _route(self, ctx: Context, meta: _Meta) -> HandlerResult:
        """Commands and cancel words first (always), then a refused stale choice, the flow, the rest."""
        msg = ctx.msg
        text = (msg.text or "").strip()
        if msg.choice is not None and msg.choice.startswith("/"):
            text = msg.choice  # a button that runs a command ("/duyet ok 12")
        if text.startswith("/"):
            return await self._run_command(ctx, text)
        if text and fold(text) in self._cancel_words:
            return await self._run_spec(ctx, self.commands.get(CANCEL_COMMAND), "")
        if msg.choice is not None and msg.choice not in meta.values:
            # Pressed on an old message, or forged: never hand a choice that was not offered to a handler.
            ctx.expects_free_text = not meta.numbers
            return Reply(STALE_CHOICE, [Choice(label, value) for label, value in meta.choices])
        if ctx.state is not None and self._soft(ctx) and self._keyword(text) is not None:
            ctx.state = None  # an optional step: a command typed as words just ends it
        if ctx.state is not None:
            return await self._run_flow(ctx)
        return await self._route_outside_flow(ctx, meta, text)

    async def _route_outside_flow(self, ctx: Context, meta: _Meta, text: str) -> HandlerResult:
        """A pressed choice (as its label), a keyword command, else the free-text fallback."""
        msg = ctx.msg
        if msg.choice is not None:
            text = next(lbl for lbl, val in meta.choices if val == msg.choice)
            ctx.msg = replace(msg, text=text, choice=None)
        matched = self._keyword(text)
        if matched is not None:
            return await self._run_spec(ctx, *matched)
        if msg.attachments and not text:
            return Reply("Tệp đính kèm chỉ dùng khi nộp báo cáo. Gõ /baocao để bắt đầu.")
        if not text:
            return Reply(BLANK_HINT)
        fallback = self.flows.get(DEFAULT_FLOW)
        if fallback is None:
            return Reply("Gõ /trogiup để xem bot giúp được gì.")
        return await fallback(ctx)

    async def _run_flow(self, ctx: Context) -> HandlerResult:
        assert ctx.state is not None
        handler = self.flows.get(ctx.state.flow)
        if handler is None:  # a flow from an older version of the bot
            ctx.state = None
            return await self._route_free(ctx)
        typed = ctx.msg.choice is None and not ctx.msg.attachments and not self._soft(ctx)
        if ctx.resumed and typed and isinstance(handler, Flow) and handler.resume is not None:
            when = self.app.local_time(ctx.last_active) if ctx.last_active else "trước"
            note = Reply(RESUMED_TEXT.format(title=handler.title or handler.name, when=when))
            return [note, *as_replies(await handler.resume(ctx))]
        return await handler(ctx)

    async def _route_free(self, ctx: Context) -> HandlerResult:
        fallback = self.flows.get(DEFAULT_FLOW)
        if fallback is None or not (ctx.msg.text or "").strip():
            return Reply(BLANK_HINT)
        return await fallback(ctx)

    def _keyword(self, text: str) -> tuple[CommandSpec, str] | None:
        """A command typed as plain words: the whole message, or its first words plus arguments that
        parse under the command's spec ("duyệt ok 2", "tổng hợp 2024")."""
        folded = fold(text) if text else ""
        if not folded:
            return None
        if folded in self.keywords:
            return self.keywords[folded], ""
        words = text.split()
        for n in range(min(len(words) - 1, MAX_KEYWORD_WORDS), 0, -1):
            spec = self.keywords.get(fold(" ".join(words[:n])))
            if spec is None or spec.args is None:
                continue
            rest = " ".join(words[n:])
            if spec.args.accepts(rest) and not looks_like_question(text):
                return spec, rest
        return None

    async def _run_command(self, ctx: Context, text: str) -> HandlerResult:
        head, _, args = text[1:].partition(" ")
        name = head.split("@", 1)[0].strip().lower()  # "/start@MyBot" in Telegram groups
        spec = self.commands.get(name) or self.keywords.get(fold(name))
        if spec is None:
            return Reply(f"Không có lệnh /{name[:40]}. Gõ /trogiup để xem danh sách lệnh.")
        return await self._run_spec(ctx, spec, args.strip())

    async def _run_spec(self, ctx: Context, spec: CommandSpec | None, args: str) -> HandlerResult:
        if spec is None:
            return Reply("Gõ /trogiup để xem danh sách lệnh.")
        if spec.admin and not ctx.is_admin:
            return Reply("Lệnh này chỉ dành cho quản trị viên.")
        ctx.args = args
        ctx.via_command = True
        return await spec.handler(ctx)

    async def _save(self, ctx: Context, replies: list[Reply]) -> None:
        """End of turn: the flow state the handler left, the choices offered, the QA context."""
        offered: list[Choice] = next((r.choices for r in reversed(replies) if r.choices), [])
        numbers = not ctx.expects_free_text
        for reply in replies:
            if reply.choices:
                reply.numbered = numbers
        meta = _Meta(choices=[(c.label, c.value) for c in offered], numbers=numbers, qa=ctx.qa_context)
        state = ctx.state
        data = dict(state.data) if state is not None else {}
        dumped = meta.dump()
        if state is not None:
            dumped["boot"] = self.boot
        if dumped:
            data["_meta"] = dumped
        flow, step = (state.flow, state.step) if state is not None else ("", "")
        # Inside a durable turn the state is committed with the replies and the inbox row (bot.durable).
        await persist_state(self.app.store, ctx.msg.user_key, flow, step, data)
