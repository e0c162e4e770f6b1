"""Rendering core replies for Telegram: HTML escaping, 4,096-character splitting, keyboards.

The core sends plain text; Telegram gets ``parse_mode=HTML`` with every dynamic
text escaped, so a question containing ``<``, ``>`` or ``&`` can never break a
reply ("can't parse entities").  This module has no python-telegram-bot import:
keyboards are produced as plain ``[[(label, callback_data), ...], ...]`` rows.
"""

from __future__ import annotations

import html
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from bot.messages import Choice, OutFile, Reply

MAX_TEXT = 4096  # characters after entity parsing
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64
MAX_BUTTON_LABEL = 60
TOKEN_PREFIX = "~"  # callback data starting with it is a server-side token, never a raw value
DEFAULT_CHOICE_PROMPT = "Vui lòng chọn:"


def escape(text: str) -> str:
    """Escape a plain text for Telegram's HTML parse mode (``&``, ``<``, ``>``)."""
    return html.escape(text, quote=False)


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` (longer than ``limit``): a paragraph, else a line, else a space."""
    window = text[:limit]
    for sep in ("\n\n", "\n", ". ", " "):
        at = window.rfind(sep)
        if at > limit // 3:  # do not make silly tiny chunks
            return at + len(sep)
    return limit


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a plain text into chunks of at most ``limit`` characters.

    Cuts at paragraph boundaries when possible, then at line ends, sentence ends or
    spaces, and only as a last resort inside a word.  Chunks are stripped of the
    surrounding whitespace (Telegram strips it too) and empty chunks dropped.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        chunk = rest[:cut].strip()
        if chunk:
            chunks.append(chunk)
        rest = rest[cut:].strip()
    if rest:
        chunks.append(rest)
    return chunks


class CallbackTokens:
    """Maps choice values that do not fit in 64 bytes of callback data to short tokens.

    Values are kept in memory (most recent ``capacity``); a token unknown after a
    restart resolves to ``None`` and the user is told the choice expired.
    """

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._by_token: OrderedDict[str, str] = OrderedDict()
        self._by_value: dict[str, str] = {}

    @staticmethod
    def fits(value: str) -> bool:
        return 1 <= len(value.encode("utf-8")) <= MAX_CALLBACK_BYTES and not value.startswith(TOKEN_PREFIX)

    def data_for(self, value: str) -> str:
        """The callback data to put on a button for ``value``."""
        if self.fits(value):
            return value
        token = self._by_value.get(value)
        if token is None:
            token = TOKEN_PREFIX + secrets.token_urlsafe(12)
            self._by_value[value] = token
        self._by_token[token] = value
        self._by_token.move_to_end(token)
        while len(self._by_token) > self.capacity:
            _token, old_value = self._by_token.popitem(last=False)
            self._by_value.pop(old_value, None)
        return token

    def resolve(self, data: str) -> str | None:
        """The choice value behind callback ``data`` (``None``: an unknown or expired token)."""
        if not data.startswith(TOKEN_PREFIX):
            return data
        return self._by_token.get(data)


def button_label(label: str) -> str:
    label = " ".join(label.split()) or "…"
    return label if len(label) <= MAX_BUTTON_LABEL else label[: MAX_BUTTON_LABEL - 1] + "…"


def keyboard_rows(choices: list[Choice], tokens: CallbackTokens) -> list[list[tuple[str, str]]]:
    """Lay out buttons: short labels side by side (up to 3, ~30 characters a row), long ones alone."""
    rows: list[list[tuple[str, str]]] = []
    row: list[tuple[str, str]] = []
    width = 0
    for choice in choices:
        label = button_label(choice.label)
        if row and (len(row) >= 3 or width + len(label) > 30):
            rows.append(row)
            row, width = [], 0
        row.append((label, tokens.data_for(choice.value)))
        width += len(label)
    if row:
        rows.append(row)
    return rows


@dataclass(frozen=True, slots=True)
class Part:
    """One Bot API call: a text message (HTML) with an optional keyboard, or a document."""

    html: str
    keyboard: list[list[tuple[str, str]]] | None = None
    file: OutFile | None = None


def plan_reply(reply: Reply, tokens: CallbackTokens) -> list[Part]:
    """The Bot API calls that render ``reply``: text chunks, the keyboard on the last one, then files."""
    chunks = split_text(reply.text or "")
    if reply.choices and not chunks:
        chunks = [DEFAULT_CHOICE_PROMPT]
    parts = [Part(escape(chunk)) for chunk in chunks]
    if reply.choices:
        last = parts[-1]
        parts[-1] = Part(last.html, keyboard_rows(reply.choices, tokens))
    for f in reply.files:
        parts.append(Part("", file=f))
    return parts


def split_reply(reply: Reply) -> list[Reply]:
    """Cut a reply into replies that each need exactly one Bot API call (paced one by one by the outbox)."""
    chunks = split_text(reply.text or "")
    if reply.choices and not chunks:
        chunks = [DEFAULT_CHOICE_PROMPT]
    out = [Reply(chunk) for chunk in chunks]
    if reply.choices:
        out[-1] = Reply(out[-1].text, choices=list(reply.choices))
    out.extend(Reply("", files=[f]) for f in reply.files)
    return out


def chosen_text(original_html: str, label: str) -> str | None:
    """The text of a choice message after a press: the original plus the chosen label.

    ``None`` when it would not fit in one message (then only the keyboard is removed).
    """
    text = f"{original_html}\n\n✅ {escape(label)}"
    # the limit counts characters after parsing: approximate with the unescaped length
    if len(html.unescape(text)) > MAX_TEXT:
        return None
    return text
