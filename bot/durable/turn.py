"""The unit of work of one incoming update: its dialog state and the messages it decided.

While a worker processes an inbox row, :data:`CURRENT` holds its :class:`Turn`:

- the dispatcher's end-of-turn save goes through :func:`persist_state`, which keeps the
  state in the turn instead of committing it on its own;
- ``app.outbox.send`` / ``send_many`` (replies, notifications, broadcasts) only append
  the messages to the turn (:meth:`bot.outbox.Outbox.send` asks the runtime's interceptor);
- :func:`bot.durable.runtime.finish` then writes the state, the messages and the inbox
  row's ``done`` in one transaction.

A message sent from the turn's context after the turn was finished (a background task a
handler started) is written to the outbox in a transaction of its own: never lost.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from bot.messages import Outgoing


@dataclass(slots=True)
class Turn:
    inbox_id: int
    key: str  # "channel:update_key": side effects committed on their own are keyed by it
    user_key: str
    outs: list[Outgoing] = field(default_factory=list)
    state: tuple[str, str, dict[str, Any]] | None = None  # (flow, step, data) to save
    clear_state: bool = False
    state_set: bool = False
    closed: bool = False


CURRENT: ContextVar[Turn | None] = ContextVar("durable_turn", default=None)


def current_turn_key() -> str | None:
    """The key of the update being processed, for side effects that must not run twice."""
    turn = CURRENT.get()
    return turn.key if turn is not None else None


async def persist_state(store: Any, user_key: str, flow: str, step: str, data: dict[str, Any]) -> None:
    """The dispatcher's end-of-turn save: into the turn's transaction when there is one."""
    turn = CURRENT.get()
    if turn is not None and not turn.closed and turn.user_key == user_key:
        turn.state_set = True
        turn.clear_state = not flow and not data
        turn.state = None if turn.clear_state else (flow, step, dict(data))
        return
    if not flow and not data:
        await asyncio.to_thread(store.clear_state, user_key)
    else:
        await asyncio.to_thread(store.save_state, user_key, flow, step, data)
