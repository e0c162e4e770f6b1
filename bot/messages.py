"""The one message abstraction shared by the core and every channel adapter.

Adapters translate their transport's updates into :class:`Incoming` and render
:class:`Reply` objects back; nothing in the core knows which channel it talks to.
Texts in replies are plain text (no markup): each adapter escapes or formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the user sent, already downloaded by the adapter (size-limited there)."""

    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"
    kind: str = "document"  # "document" | "photo"

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class Choice:
    """One option offered to the user: a button on Telegram, a numbered line on Zalo."""

    label: str
    value: str  # short and ASCII-safe: Telegram callback data is limited to 64 bytes


@dataclass(frozen=True, slots=True)
class OutFile:
    """A file the bot sends back (for example an export)."""

    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"


@dataclass(slots=True)
class Incoming:
    """A message from a user, whatever the channel.

    ``text`` is what they typed; ``choice`` is the value of a choice they pressed
    (Telegram callback data).  Exactly one of the two is usually set; attachments
    may come with either or alone.
    """

    channel: str  # "telegram" | "zalo" | "console"
    user_id: str
    chat_id: str
    text: str | None = None
    choice: str | None = None
    display_name: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    message_id: str | None = None  # the transport's id, used to drop duplicates

    @property
    def user_key(self) -> str:
        """Globally unique user identity: ``channel:user_id`` (the form used in BOT_ADMINS)."""
        return f"{self.channel}:{self.user_id}"


@dataclass(slots=True)
class Reply:
    """One message the bot sends back into the chat the incoming message came from."""

    text: str
    choices: list[Choice] = field(default_factory=list)
    files: list[OutFile] = field(default_factory=list)
    # Set by the dispatcher: True when a typed number picks one of ``choices`` (button-less
    # channels then number them); False while the next input is a free-text or number answer.
    numbered: bool = True


@dataclass(slots=True)
class Outgoing:
    """A message the bot sends on its own initiative (broadcast, reminder) to one chat."""

    channel: str
    chat_id: str
    reply: Reply
    user_key: str = ""  # "channel:user_id" of the recipient, to mark them inactive on 403
