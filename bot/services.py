"""The services :class:`bot.app.App` exposes, as Protocols: what the core relies on, not which class
provides it (the knowledge library of several packs, a test double of the engine...)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol


class AnswerLike(Protocol):
    text: str
    answered: bool
    confidence: float
    suggestions: list[str]
    context: dict[str, Any]

    @property
    def declined(self) -> bool: ...

    def render(self, sources: bool = True, suggestions: bool = True) -> str: ...


class QAService(Protocol):
    """Answers one question about the loaded documents (``knowledge.QAEngine``)."""

    def answer(
        self,
        question: str,
        unit: str | None = None,
        context: dict[str, Any] | None = None,
        today: date | None = None,
    ) -> Any: ...


class PackUnit(Protocol):
    name: str
    category: str
    aliases: Sequence[str]
    standing_office: bool


class PackLike(Protocol):
    """A knowledge pack (``knowledge.pack.Pack``): its folder, units, labels and raw YAML files."""

    folder: Path
    meta: dict[str, Any]

    @property
    def units(self) -> Sequence[Any]: ...

    def category_label(self, category: str) -> str: ...

    def raw(self, name: str) -> Any: ...
