"""Follow-ups through pronouns and demonstratives: "ông ấy giữ chức vụ gì?", "kế hoạch đó áp dụng cho giai
đoạn nào?", "cụ thể là điều mấy của quyết định đó?", "đơn vị đó báo cáo cho ai?".

The previous answer's ``context`` names what it was about (``person``, ``doc``, ``unit``); the pronoun is
replaced by that name before analysis, so the rest of the engine sees an ordinary question.
"""

from __future__ import annotations

from typing import Any

from knowledge.normalize import fold
from knowledge.question import REFERENCES_WRITTEN as REFERENCES

__all__ = ["resolve"]


def _find(words: list[str], phrase: tuple[str, ...]) -> int:
    n = len(phrase)
    for i in range(len(words) - n + 1):
        if tuple(words[i : i + n]) == phrase:
            return i
    return -1


def resolve(question: str, context: dict[str, Any], doc_names: dict[str, str]) -> str:
    """The question with its first pronoun replaced by the referent of ``context`` (unchanged when there is
    none).  ``doc_names``: document id -> how to name it ("Quyết định số 2468/QĐ-UBND")."""
    if not context:
        return question
    words = question.split()
    folded = [fold(w) for w in words]
    # folded words may be empty (punctuation) or glued to punctuation: compare on the folded form
    for kind, target in (
        ("person", context.get("person")),
        ("document", None),
        ("unit", context.get("unit")),
    ):
        if kind == "document":
            doc = context.get("doc")
            target = doc_names.get(str(doc)) if doc else None
        if not target:
            continue
        for phrase in REFERENCES.get(kind, ()):
            if kind == "unit" and phrase == ("ho",) and len(words) > 6:
                continue  # "họ" only in short follow-ups
            i = _find(folded, phrase)
            if i < 0:
                continue
            tail = words[i + len(phrase) - 1]
            punct = tail[len(tail.rstrip("?.!,;:")) :]
            return " ".join([*words[:i], str(target) + punct, *words[i + len(phrase) :]])
    return question
