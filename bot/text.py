"""Text helpers shared by the core: the one ``fold`` (re-exported from :mod:`knowledge.normalize`),
whether a message reads as a question, and Vietnamese number formatting."""

from __future__ import annotations

import re

from knowledge.normalize import fold

__all__ = ["fold", "looks_like_question", "thousands"]

# Folded words and phrases that make a sentence a question in Vietnamese (whole words).
_QUESTION_PHRASES = (
    "o dau",
    "the nao",
    "nhu the nao",
    "ra sao",
    "bao gio",
    "khi nao",
    "bao nhieu",
    "vi sao",
    "tai sao",
    "la gi",
    "cai gi",
    "gi",
    "nao",
    "ai",
    "phai khong",
    "co phai",
    "duoc khong",
    "chua",
    "khong a",
    "hay khong",
    "lam sao",
)
_QUESTION = re.compile(r"\b(?:" + "|".join(p.replace(" ", r"\s") for p in _QUESTION_PHRASES) + r")\b")
_STARTS = ("lam sao", "tai sao", "vi sao", "bao gio", "khi nao", "co phai", "ai ", "o dau")


def looks_like_question(text: str) -> bool:
    """A question mark, or a question word at the start or end ("huyện mình lấy kinh phí ở đâu")."""
    stripped = (text or "").strip()
    folded = fold(stripped)
    if len(folded.split()) < 2:  # "?" or one word is not a question worth asking about
        return False
    if stripped.endswith("?"):
        return True
    if folded.startswith(_STARTS):
        return True
    words = folded.split()
    tail = " ".join(words[-3:])
    return bool(_QUESTION.search(tail)) and len(words) <= 25


def thousands(n: int) -> str:
    """``1234567`` -> ``1.234.567`` (Vietnamese thousands separator)."""
    return f"{n:,}".replace(",", ".")
