"""Replies as JSON documents (outbox rows), and back."""

from __future__ import annotations

import base64
from dataclasses import fields, is_dataclass
from typing import Any

from bot.messages import Choice, OutFile, Reply

# Reply subclasses a channel renders specially (Zalo's ZaloReply with its ``style``), by name.
REPLY_TYPES: dict[str, type[Reply]] = {"Reply": Reply}


def register_reply_type(cls: type[Reply]) -> type[Reply]:
    REPLY_TYPES[cls.__name__] = cls
    return cls


def dump_reply(reply: Reply) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": type(reply).__name__ if type(reply).__name__ in REPLY_TYPES else "Reply",
        "text": reply.text,
        "choices": [[c.label, c.value] for c in reply.choices],
        "numbered": reply.numbered,
    }
    if reply.files:
        doc["files"] = [
            {"filename": f.filename, "mime_type": f.mime_type, "data": base64.b64encode(f.data).decode()}
            for f in reply.files
        ]
    if is_dataclass(reply) and doc["type"] != "Reply":
        base = {f.name for f in fields(Reply)}
        doc["extra"] = {f.name: getattr(reply, f.name) for f in fields(reply) if f.name not in base}
    return doc


def load_reply(doc: dict[str, Any]) -> Reply:
    cls = REPLY_TYPES.get(str(doc.get("type")), Reply)
    kwargs: dict[str, Any] = {
        "text": str(doc.get("text", "")),
        "choices": [Choice(str(c[0]), str(c[1])) for c in doc.get("choices", [])],
        "files": [
            OutFile(str(f["filename"]), base64.b64decode(f["data"]), str(f.get("mime_type", "")))
            for f in doc.get("files", [])
        ],
        "numbered": bool(doc.get("numbered", True)),
    }
    if cls is not Reply:
        kwargs.update(doc.get("extra") or {})
    return cls(**kwargs)
