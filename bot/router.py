"""aiogram-style routers: each ``handlers/*.py`` module defines ``router = Router()``.

A router registers
- commands (``/baocao``), with Vietnamese keywords that also trigger them when a
  whole message matches after folding ("báo cáo", "bao cao") — Zalo has no command
  menu, so plain words must work;
- flows, called for every message while the user's dialog state is in that flow
  (``ctx.state.flow``): either one handler (``@router.flow(name)``) or a :class:`Flow` with
  declared steps and one handler per step (``flow = router.steps(name, "ask", "confirm")``,
  ``@flow.step("confirm")``), aiogram's ``StatesGroup``.  The step names are the flow's
  own control states; data a step collects (a form field's key) lives in ``state.data``,
  so a form field keyed ``confirm`` cannot take over the confirm step.

The dispatcher (:mod:`bot.conversation`) collects the routers listed in
``handlers.ROUTERS`` and routes each :class:`~bot.messages.Incoming` message.
The command metadata also feeds Telegram's ``setMyCommands`` and the help text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.messages import Reply

if TYPE_CHECKING:
    from bot.codec import ArgSpec
    from bot.context import Context

# What a handler returns (see bot.conversation.as_replies).
HandlerResult = Reply | str | Sequence[Reply | str] | None
Handler = Callable[["Context"], Awaitable[HandlerResult]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str  # without the slash, ASCII: "baocao"
    handler: Handler
    description: str = ""  # Vietnamese, shown in the command menu and /trogiup
    keywords: tuple[str, ...] = ()  # whole-message phrases, e.g. ("báo cáo", "nộp báo cáo")
    admin: bool = False  # only configured admins may run it
    menu: bool = True  # listed in Telegram's command menu
    args: ArgSpec | None = None  # its arguments: also lets "duyệt ok 2" (plain words) run it


class Flow:
    """A flow with declared steps, one handler per step.

    ``default`` names the step that handles a state whose step is unknown (a state saved by an
    older version of the bot); without it such a state ends the flow.
    """

    def __init__(self, name: str, steps: Iterable[str], default: str | None = None, title: str = "") -> None:
        self.name = name
        self.title = title  # Vietnamese, for "you were in the middle of …"
        self.resume: Handler | None = None  # repeats the pending question after a pause
        # Steps that only offer something optional: a command or keyword simply ends them (no
        # "you are in the middle of…" reminder), and a pause is not a resume.
        self.soft_steps: set[str] = set()
        self.steps = tuple(steps)
        if len(set(self.steps)) != len(self.steps) or not self.steps:
            raise ValueError(f"flow {name!r}: steps must be distinct and non-empty")
        if default is not None and default not in self.steps:
            raise ValueError(f"flow {name!r}: default step {default!r} is not declared")
        self.default = default
        self.handlers: dict[str, Handler] = {}

    def step(self, name: str) -> Callable[[Handler], Handler]:
        if name not in self.steps:
            raise ValueError(f"flow {self.name!r} has no step {name!r} (declared: {', '.join(self.steps)})")

        def decorate(fn: Handler) -> Handler:
            if name in self.handlers:
                raise ValueError(f"flow {self.name!r}: step {name!r} registered twice")
            self.handlers[name] = fn
            return fn

        return decorate

    def on_resume(self, fn: Handler) -> Handler:
        """Register what the flow says after a pause (a restart, a long break): its question again."""
        self.resume = fn
        return fn

    async def __call__(self, ctx: Context) -> HandlerResult:
        step = ctx.state.step if ctx.state is not None else ""
        handler = self.handlers.get(step)
        if handler is None and self.default is not None:
            handler = self.handlers.get(self.default)
        if handler is None:
            ctx.state = None
            return None
        return await handler(ctx)


@dataclass(slots=True)
class Router:
    name: str = ""
    commands: list[CommandSpec] = field(default_factory=list)
    flows: dict[str, Handler] = field(default_factory=dict)

    def command(
        self,
        name: str,
        *,
        description: str = "",
        keywords: tuple[str, ...] | list[str] = (),
        admin: bool = False,
        menu: bool = True,
        args: ArgSpec | None = None,
    ) -> Callable[[Handler], Handler]:
        def decorate(fn: Handler) -> Handler:
            self.commands.append(CommandSpec(name, fn, description, tuple(keywords), admin, menu, args))
            return fn

        return decorate

    def steps(self, name: str, *steps: str, default: str | None = None, title: str = "") -> Flow:
        """Declare a flow with named steps; register each step's handler with ``@flow.step(name)``."""
        flow = Flow(name, steps, default, title)
        self.flow(name)(flow)
        return flow

    def flow(self, name: str) -> Callable[[Handler], Handler]:
        def decorate(fn: Handler) -> Handler:
            if name in self.flows:
                raise ValueError(f"flow {name!r} registered twice")
            self.flows[name] = fn
            return fn

        return decorate
