"""Follow-ups through pronouns and demonstratives: "ông ấy giữ chức vụ gì?", "kế hoạch đó áp dụng cho giai
đoạn nào?", "cụ thể là điều mấy của quyết định đó?", "đơn vị đó báo cáo cho ai?".

The previous answer's ``context`` names what it was about (``person``, ``doc``, ``unit``); the pronoun is
replaced by that name before analysis, so the rest of the engine sees an ordinary question.
"""

from __future__ import annotations

import re
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


def resolve(
    question: str,
    context: dict[str, Any],
    doc_names: dict[str, str],
    doc_kinds: dict[str, set[str]] | None = None,
) -> str:
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
        for phrase in REFERENCES.get(kind, ()):
            if kind == "document":
                target = _document(phrase, context, doc_names, doc_kinds or {})
            if not target:
                continue
            if phrase in (("ho",), ("no",)) and len(words) > 6:
                continue  # "họ", "nó" only in short follow-ups
            i = _find(folded, phrase)
            if i < 0:
                continue
            tail = words[i + len(phrase) - 1]
            punct = tail[len(tail.rstrip("?.!,;:")) :]
            return " ".join([*words[:i], str(target) + punct, *words[i + len(phrase) :]])
    return _elliptic(question, folded, context, doc_names)


_PROVISION_WORDS = frozenset(("dieu", "khoan", "muc", "diem"))
_NUMBER = re.compile(r"\d{3,}")


def _elliptic(question: str, folded: list[str], context: dict[str, Any], doc_names: dict[str, str]) -> str:
    """ "cụ thể là điều mấy?" right after an answer about a referenced decision: of that decision."""
    doc = str(context.get("doc") or "")
    if not doc or doc not in doc_names or _NUMBER.search(question) or len(folded) > 8:
        return question
    if not (_PROVISION_WORDS & set(folded)):
        return question
    return f"{question.rstrip('?').rstrip()} của {doc_names[doc]}?"


def _document(
    phrase: tuple[str, ...], context: dict[str, Any], doc_names: dict[str, str], kinds: dict[str, set[str]]
) -> str | None:
    """ "quyết định đó" -> the first document of the previous answer that is a decision; "kế hoạch đó" ->
    the first that is (or issues) a plan; "văn bản đó" -> the first one."""
    docs = [str(d) for d in context.get("docs") or [context.get("doc")] if d]
    word = " ".join(phrase[:-1])
    for d in docs:
        if word in ("van ban", "cong van") or word in kinds.get(d, {word}):
            return doc_names.get(d)
    return doc_names.get(docs[0]) if docs and word in ("van ban", "cong van") else None
