"""What a handler receives: the message, the sender's stored record and the application."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.messages import Incoming

if TYPE_CHECKING:
    from bot.app import App
    from bot.storage.models import DialogState, User


@dataclass(slots=True)
class Context:
    app: App
    msg: Incoming
    user: User  # created or refreshed on every incoming message
    is_admin: bool
    args: str = ""  # text after the command or keyword ("/tonghop 2022" -> "2022")
    state: DialogState | None = None  # the user's current flow, if any
    extra: dict[str, Any] | None = None
