"""The terminal "channel": user keys ``console:<id>``, used by ``directive-bot chat``.

:class:`ConsoleSender` is the outbox's sender for the console channel.  By default
it keeps what it was given in ``sent`` (tests read broadcasts there); the chat
command sets ``sink`` to print them.  :func:`render_json` / :func:`render_text`
turn replies into the ``chat --jsonl`` lines and the interactive display.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.messages import Attachment, Incoming, Reply
from bot.outbox import RateLimit
from bot.text import thousands

CHANNEL = "console"
# A terminal has no rate limit worth the name; keep the outbox from pacing it.
CONSOLE_LIMIT = RateLimit(rate=100_000, window=1.0, margin=0.0, per_chat_burst=100_000, per_chat_window=1.0)

Sink = Callable[[str, Reply], None]


class ConsoleSender:
    """Delivers console messages to ``sink`` (or keeps them in ``sent``)."""

    channel = CHANNEL

    def __init__(self, sink: Sink | None = None, keep: int = 10_000) -> None:
        self.sink = sink
        self.sent: deque[tuple[str, Reply]] = deque(maxlen=keep)

    async def send(self, chat_id: str, reply: Reply) -> None:
        self.sent.append((chat_id, reply))
        if self.sink is not None:
            self.sink(chat_id, reply)

    def take(self, chat_id: str | None = None) -> list[Reply]:
        """Remove and return what was sent (to one chat, or to all)."""
        taken = [r for c, r in self.sent if chat_id is None or c == chat_id]
        kept = [(c, r) for c, r in self.sent if not (chat_id is None or c == chat_id)]
        self.sent.clear()
        self.sent.extend(kept)
        return taken


def incoming(user: str, text: str | None = None, choice: str | None = None, **kw: Any) -> Incoming:
    """A console message from ``console:<user>`` (the chat is the user)."""
    return Incoming(
        channel=CHANNEL, user_id=user, chat_id=user, text=text, choice=choice, display_name=user, **kw
    )


def attachment_from_path(path: str, max_bytes: int) -> Attachment:
    """Read a local file as an attachment; raises ValueError with a Vietnamese message."""
    import mimetypes
    from pathlib import Path

    p = Path(path).expanduser()
    if not p.is_file():
        raise ValueError(f"Không tìm thấy tệp {path!r}.")
    size = p.stat().st_size
    if size > max_bytes + 1:
        # Read only what proves it is too big: the form reports the limit.
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    else:
        data = p.read_bytes()
    mime = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
    kind = "photo" if mime.startswith("image/") else "document"
    return Attachment(filename=p.name, data=data, mime_type=mime, kind=kind)


def reply_json(to: str, reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {
        "to": to,
        "text": reply.text,
        "choices": [{"label": c.label, "value": c.value} for c in reply.choices],
    }
    if reply.files:
        out["files"] = [
            {"filename": f.filename, "size": len(f.data), "mime_type": f.mime_type} for f in reply.files
        ]
    return out


def save_files(reply: Reply, folder: Path) -> list[Path]:
    """Write the files of a reply (an export) into ``folder``; never overwrites (``name (2).xlsx``)."""
    from bot.files import safe_filename

    paths = []
    for f in reply.files:
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(safe_filename(f.filename))
        target, n = folder / name, 1
        while target.exists():
            n += 1
            target = folder / f"{name.stem} ({n}){name.suffix}"
        target.write_bytes(f.data)
        paths.append(target)
    return paths


def render_json(to: str, reply: Reply) -> str:
    return json.dumps(reply_json(to, reply), ensure_ascii=False)


def render_text(reply: Reply) -> str:
    """Choices as numbered lines (answer by number or by label), as Zalo shows them; when the next
    input is free text (``Reply.numbered`` is False: a typed number is an answer), as words to type."""
    lines = [reply.text]
    if reply.choices and not reply.numbered:
        lines.append("  (gõ nguyên văn: " + "; ".join(f"“{c.label}”" for c in reply.choices) + ")")
    for i, c in enumerate(reply.choices if reply.numbered else [], 1):
        lines.append(f"  {i}. {c.label}")
    for f in reply.files:
        lines.append(f"  [tệp] {f.filename} ({thousands(len(f.data))} byte)")
    return "\n".join(lines)
