"""Text hygiene for everything the bot stores: no NUL, no control characters, no bidi overrides.

Why at the storage layer: a NUL byte makes PostgreSQL refuse the whole statement
(``DataError``), a control character in a Telegram first name makes openpyxl refuse
to write the export, a lone surrogate (``"\\ud800"`` is valid JSON) cannot be encoded
as UTF-8 at all, and bidirectional overrides (U+202E…) make a stored answer read
differently from what it is.  Cleaning at the one place every ORM write passes
(:func:`install`: SQLAlchemy ``before_insert``/``before_update`` on every mapper) covers
every text, name and id on both databases, whichever channel or command wrote it.

- free text keeps ``\\t``, ``\\n`` (``\\r\\n`` and ``\\r`` become ``\\n``);
- everything else in Unicode category Cc (C0, DEL, C1), surrogates, and the bidi
  embedding/override/isolate controls U+202A–U+202E, U+2066–U+2069 is removed;
- JSON documents are cleaned recursively (keys and values).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Mapper

# C0 except \t \n, DEL, C1; lone surrogates; bidi embeddings, overrides and isolates.
_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_BAD_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """Free text (a message, an answer): keeps tabs and line breaks."""
    if not text:
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BAD.sub("", text)


def clean_line(text: str) -> str:
    """A name or an id: one line, no control character at all."""
    if not text:
        return text
    return _BAD_LINE.sub("", text)


def clean_json(value: Any, depth: int = 0) -> Any:
    """Strings anywhere in a JSON document (dict keys included)."""
    if isinstance(value, str):
        return clean_text(value)
    if depth > 200:  # documents we store are shallow; do not recurse without bound
        return value
    if isinstance(value, dict):
        return {
            (clean_line(k) if isinstance(k, str) else k): clean_json(v, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [clean_json(v, depth + 1) for v in value]
    return value


def needs_cleaning(text: str) -> bool:
    return bool(_BAD.search(text)) or "\r" in text


def _is_line(attr: Any) -> bool:
    """A bounded string column (a name, an id, a key) is one line; Text and JSON are free text."""
    column = attr.columns[0] if attr.columns else None
    return getattr(getattr(column, "type", None), "length", None) is not None


def _clean_instance(mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    state = target.__dict__
    for attr in mapper.column_attrs:
        key = attr.key
        value = state.get(key)
        if isinstance(value, str):
            cleaned: Any = clean_line(value) if _is_line(attr) else clean_text(value)
        elif isinstance(value, dict | list):
            cleaned = clean_json(value)
        else:
            continue
        if cleaned != value:
            setattr(target, key, cleaned)


def clean_incoming(msg: Any) -> Any:
    """An :class:`~bot.messages.Incoming` with clean text, choice, name and ids (at the channel edge)."""
    from dataclasses import replace

    changes: dict[str, Any] = {}
    for name in ("user_id", "chat_id", "display_name", "message_id", "choice"):
        value = getattr(msg, name)
        if isinstance(value, str) and (cleaned := clean_line(value)) != value:
            changes[name] = cleaned
    if isinstance(msg.text, str) and (cleaned := clean_text(msg.text)) != msg.text:
        changes["text"] = cleaned
    return replace(msg, **changes) if changes else msg


_installed = False


def install() -> None:
    """Clean every ORM insert and update (idempotent)."""
    global _installed
    if _installed:
        return
    event.listen(Mapper, "before_insert", _clean_instance)
    event.listen(Mapper, "before_update", _clean_instance)
    _installed = True
