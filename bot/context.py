"""What a handler receives: the message, the sender's stored record, the application, and typed
fields through which a handler tells the dispatcher about the next turn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
    # The next input is free text: a typed number is an answer, not "choice number N".
    expects_free_text: bool = False
    # The question-answering context kept for the user's next question (follow-ups).
    qa_context: dict[str, Any] | None = None
    # Set by the dispatcher: this turn runs a command (typed, a keyword, or a button that runs one).
    via_command: bool = False
    # Set by the dispatcher: the flow in ``state`` was left for a while (a restart, or a long pause);
    # a flow should say so and repeat its question rather than take this message as the answer.
    resumed: bool = False
    last_active: datetime | None = None  # when the state was last saved (for the resume note)

    @property
    def user_id(self) -> int:
        """The sender's database id (always set: the row is created before the handler runs)."""
        assert self.user.id is not None
        return self.user.id
