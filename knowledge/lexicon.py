"""Closed word lists used by the engine (folded forms, see :func:`knowledge.normalize.fold`).

The lists are data (``knowledge/data/lexicon.yaml``; question types, slots and markers in
``knowledge/data/questions.yaml``): they are about *how Vietnamese questions are asked*, not about any
directive, so they are shared by all packs.  A question word that is neither here nor in the pack's own
vocabulary is "foreign": a question with several foreign words asks about something the pack does not
cover, and the engine declines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is ~10x faster; fall back to the pure-Python loader when it is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

DATA_DIR = Path(__file__).resolve().parent / "data"


def load_data(name: str) -> dict[str, Any]:
    """A YAML file of ``knowledge/data/`` as a dict (empty when the file is empty)."""
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return dict(yaml.load(fh, Loader=_Loader) or {})


_D = load_data("lexicon.yaml")


def _set(key: str) -> frozenset[str]:
    return frozenset(str(x) for x in _D.get(key, ()))


def _tuple(key: str) -> tuple[str, ...]:
    return tuple(str(x) for x in _D.get(key, ()))


# Function words, question words, and generic verbs/nouns of questions.
GENERAL: frozenset[str] = _set("GENERAL")
GENERAL_PHRASES: frozenset[str] = _set("GENERAL_PHRASES")
GREETINGS: frozenset[str] = _set("GREETINGS")
THANKS: frozenset[str] = _set("THANKS")
HELP: frozenset[str] = _set("HELP")
SELF_WORDS: frozenset[str] = _set("SELF_WORDS")
SELF_HEADS: frozenset[str] = _set("SELF_HEADS")
# Follow-up markers: "còn ... thì sao?", "thế còn ...?", "vậy ...?"
FOLLOW_UP: frozenset[str] = _set("FOLLOW_UP")
AMOUNT_PHRASES: tuple[str, ...] = _tuple("AMOUNT_PHRASES")
# Weight multipliers of question words in retrieval ("ai" asks for a person, "khi nao" for a date).
QUESTION_BOOST: dict[str, float] = {str(k): float(v) for k, v in _D.get("QUESTION_BOOST", {}).items()}
# "Now" questions (hiện nay, năm nay ...): lower the confidence; a dated directive does not know today.
PRESENT_PHRASES: tuple[str, ...] = _tuple("PRESENT_PHRASES")
MONEY_WORDS: tuple[str, ...] = _tuple("MONEY_WORDS")
AMOUNT_QUANTIFIERS: tuple[str, ...] = _tuple("AMOUNT_QUANTIFIERS")
PERSONAL_PHRASES: tuple[str, ...] = _tuple("PERSONAL_PHRASES")
# Office titles: "ai là Chủ tịch ...", "Giám đốc ... là ai" ask for the person holding an office.
OFFICE_TITLES: tuple[str, ...] = _tuple("OFFICE_TITLES")
DOCUMENT_WORDS: frozenset[str] = _set("DOCUMENT_WORDS")
# Commune-level bodies ("công an xã", "UBND phường"): heads and level words.
LOWER_LEVEL_HEADS: tuple[str, ...] = _tuple("LOWER_LEVEL_HEADS")
LOWER_LEVELS: tuple[str, ...] = _tuple("LOWER_LEVELS")
FILLER_PHRASES: tuple[str, ...] = _tuple("FILLER_PHRASES")
COUNT_WORDS: tuple[str, ...] = _tuple("COUNT_WORDS")
NOT_COUNTED: frozenset[str] = _set("NOT_COUNTED")
ORDINAL_HEADS: frozenset[str] = _set("ORDINAL_HEADS")
# Abbreviations and spelling variants (folded token sequences), used by knowledge.normalize.expand.
ABBREVIATIONS: dict[str, str] = {str(k): str(v) for k, v in _D.get("ABBREVIATIONS", {}).items()}
