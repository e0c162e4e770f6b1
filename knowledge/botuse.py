"""Questions about using the bot itself ("làm sao để nộp báo cáo?", "tôi muốn đổi đơn vị"): answered with
the command to use, from ``knowledge/data/bot_help.yaml`` -- the bot's own help, never a document's words
(such answers carry no source).  A question that names a unit, a category or a document number is about the
directive, not about the bot."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.answer import Answer
from knowledge.lexicon import GENERAL, load_data
from knowledge.normalize import tokens
from knowledge.question import PhraseIndex, has

__all__ = ["BotHelp"]

BOT_WORDS = (("bot",), ("he", "thong"), ("tro", "ly"), ("ung", "dung"))


@dataclass(frozen=True, slots=True)
class _Topic:
    id: str
    groups: tuple[tuple[tuple[str, ...], ...], ...]
    strong: tuple[tuple[str, ...], ...]
    text: str


def _phr(items: object) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(tokens(str(x))) for x in (items or []))  # type: ignore[attr-defined]


class BotHelp:
    def __init__(self) -> None:
        data = load_data("bot_help.yaml")
        self.intent = _phr(data.get("intent"))
        self.words = frozenset(
            w for t in data.get("topics", []) for g in t.get("all", []) for p in g for w in tokens(p)
        )
        self.words |= frozenset(w for p in self.intent for w in p)
        self.strong_words = frozenset(
            w for t in data.get("topics", []) for p in t.get("strong", []) for w in tokens(p)
        ) | frozenset(w for p in self.intent for w in p)
        self.words |= self.strong_words
        self.topics = [
            _Topic(
                id=str(t["id"]),
                groups=tuple(_phr(g) for g in t.get("all", [])),
                strong=_phr(t.get("strong")),
                text=" ".join(str(t["text"]).split()),
            )
            for t in data.get("topics", [])
        ]
        self.index = PhraseIndex(
            [list(BOT_WORDS), list(self.intent)]
            + [list(t.strong) for t in self.topics]
            + [list(g) for t in self.topics for g in t.groups]
        )

    def match(
        self, toks: list[str], about_directive: bool, known: frozenset[str] = frozenset()
    ) -> Answer | None:
        """The help answer for a question on using the bot, else ``None``.  ``about_directive``: the
        question names a unit, category or document (then only an explicit mention of the bot counts);
        ``known``: the pack's words -- a word neither the pack nor the bot's help uses ("xe máy") means the
        question is about something else."""
        words = toks
        found = self.index.find(words)
        if about_directive and not any(has(found, w) for w in BOT_WORDS):
            return None
        if known and any(t.isalpha() and t not in known and t not in self.words for t in words):
            return None
        for topic in self.topics:
            # a strong phrase alone ("đăng ký thế nào"), not inside another question ("cách đăng ký kết hôn")
            strong = any(has(found, p) for p in topic.strong) and all(
                t in self.strong_words or t in GENERAL or not t.isalpha() for t in words
            )
            if not strong and not all(any(has(found, p) for p in g) for g in topic.groups):
                continue
            if not strong and not any(has(found, p) for p in self.intent):
                continue
            return Answer(
                text=topic.text, answered=True, confidence=0.9, kind="bot_help", entry_id=f"bot:{topic.id}"
            )
        return None
