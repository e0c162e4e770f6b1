"""The engine's reply (:class:`Answer`) and how a channel renders it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from knowledge.pack import Source

__all__ = ["Answer", "dumps"]


@dataclass(slots=True)
class Answer:
    """The engine's reply.

    ``kind``: "answer" (a fact of the pack), "decline" (out of scope / below threshold), "unknown_document",
    "amount" (asks for a sum the directive does not state: the silence stated with the funding provision,
    answered), "not_stated" (a person:
    who holds an office now, or personal details -- declined, naming the signer), "greeting", "thanks",
    "help", "bot_help" (how to use the bot: the command).  ``answered`` is True for "answer", "amount" and
    "bot_help".  ``context`` is a small JSON-serializable dict to pass
    back with the same user's next question (follow-ups like "còn Sở Y tế thì sao?").
    """

    text: str
    answered: bool
    confidence: float
    sources: list[Source] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    kind: str = "answer"
    entry_id: str | None = None

    @property
    def declined(self) -> bool:
        """True when the bot could not answer a real question (what the question log should flag)."""
        return self.kind in ("decline", "unknown_document", "not_stated")

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "answered": self.answered,
            "confidence": round(self.confidence, 3),
            "sources": [s.to_json() for s in self.sources],
            "suggestions": list(self.suggestions),
        }

    def render(self, sources: bool = True, suggestions: bool = True) -> str:
        """Plain text for a channel: the answer, its sources, then suggested questions."""
        parts = [self.text]
        if sources and self.sources:
            lines = ["Nguồn:"]
            for s in self.sources:
                lines.append(f"- {s.document}, {s.ref}: «{s.quote}»")
            parts.append("\n".join(lines))
        if suggestions and self.suggestions:
            parts.append("Bạn có thể hỏi:\n" + "\n".join(f"- {q}" for q in self.suggestions))
        return "\n\n".join(parts)


def dumps(answer: Answer) -> str:
    return json.dumps(answer.to_json(), ensure_ascii=False)
