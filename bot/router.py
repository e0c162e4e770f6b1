"""aiogram-style routers: each ``handlers/*.py`` module defines ``router = Router()``.

A router registers
- commands (``/baocao``), with Vietnamese keywords that also trigger them when a
  whole message matches after folding ("báo cáo", "bao cao") — Zalo has no command
  menu, so plain words must work;
- flow handlers, called for every message while the user's dialog state is in that
  flow (``ctx.state.flow``).

The dispatcher (:mod:`bot.conversation`) collects the routers listed in
``handlers.ROUTERS`` and routes each :class:`~bot.messages.Incoming` message.
The command metadata also feeds Telegram's ``setMyCommands`` and the help text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.context import Context

HandlerResult = Any  # list[Reply] | Reply | str | None
Handler = Callable[["Context"], Awaitable[HandlerResult]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str  # without the slash, ASCII: "baocao"
    handler: Handler
    description: str = ""  # Vietnamese, shown in the command menu and /trogiup
    keywords: tuple[str, ...] = ()  # whole-message phrases, e.g. ("báo cáo", "nộp báo cáo")
    admin: bool = False  # only configured admins may run it
    menu: bool = True  # listed in Telegram's command menu


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
    ) -> Callable[[Handler], Handler]:
        def decorate(fn: Handler) -> Handler:
            self.commands.append(CommandSpec(name, fn, description, tuple(keywords), admin, menu))
            return fn

        return decorate

    def flow(self, name: str) -> Callable[[Handler], Handler]:
        def decorate(fn: Handler) -> Handler:
            if name in self.flows:
                raise ValueError(f"flow {name!r} registered twice")
            self.flows[name] = fn
            return fn

        return decorate
