"""Recognition of document numbers in a question.

"4321", "2468/QĐ-UBND", "Quyết định 3579", "công văn số 6000" are document numbers; "năm 2023",
"giai đoạn 2021 - 2025", "22/11/2019", "Ban Chỉ đạo 247" and "lớp 10" are not.  A number the pack does not
know (1234, 6000, 999 ...) is reported as unknown so the engine declines instead of answering about a known
document: an unknown number is never taken for a known one (no fuzzy matching of numbers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.normalize import fold, vni_fix

__all__ = ["DocNumber", "NumberRecognizer"]

_DATE = re.compile(r"\b\d{1,2}\s*/\s*\d{1,2}(?:\s*/\s*\d{2,4})?\b")
_NUMBER = re.compile(r"(?<![\d/])(\d{2,6})(\s*/\s*[a-z]{1,6}(?:\s+[a-z]{1,6})?)?")
# words that announce a document number when they come right before it
_DOC_WORDS = (
    "quyet dinh",
    "qd",
    "cong van",
    "cv",
    "van ban",
    "vb",
    "so",
    "so hieu",
    "nghi quyet",
    "nq",
    "chi thi",
    "ct",
    "thong tu",
    "tt",
    "nghi dinh",
    "nd",
    "ke hoach",
    "kh",
    "to trinh",
    "thong bao",
    "tb",
    "huong dan",
    "hd",
    "quyet dinh so",
    "cong van so",
    "van ban so",
    "ke hoach so",
)
_YEAR_WORDS = ("nam", "giai doan", "nhiem ky", "tu", "den", "toi", "truoc", "sau", "ky", "dot")
_DOC_SUFFIXES = {"qd", "ubnd", "cv", "nq", "ct", "tt", "nd", "kh", "bc", "tb", "hd", "ttg", "bca", "ub", "qh"}


@dataclass(frozen=True, slots=True)
class DocNumber:
    number: str
    known: bool
    certain: bool  # written as a document number ("3579/QĐ", "Quyết định 999") rather than a bare number


class NumberRecognizer:
    """Finds document numbers; ``known`` are the pack's documents, ``other`` numbers that occur in the
    directive without being documents (committee 247, years ...)."""

    def __init__(
        self, known: Iterable[str], other: Iterable[str] = (), mentioned: Iterable[str] = ()
    ) -> None:
        """``mentioned``: numbers the document's text contains (documents it cites, "Nghị quyết 214/NQ-CP"):
        known to the text, so never declined as unknown."""
        self.known = {str(k).lstrip("0") for k in known} | {str(m).lstrip("0") for m in mentioned}
        self.other = {str(o).lstrip("0") for o in other}

    def find(self, text: str) -> list[DocNumber]:
        folded = " ".join(vni_fix(w) for w in fold(text).split())  # "so73" is "sở", not document 73
        folded = _DATE.sub(" ", folded)
        out: list[DocNumber] = []
        for m in _NUMBER.finditer(folded):
            digits = m.group(1).lstrip("0") or "0"
            suffix = (m.group(2) or "").replace("/", " ").split()
            before = folded[: m.start()].split()[-3:]
            prev1 = " ".join(before[-1:])
            prev2 = " ".join(before[-2:])
            prev3 = " ".join(before[-3:])
            doc_word = any(p in _DOC_WORDS for p in (prev1, prev2, prev3))
            certain = bool(suffix and suffix[0] in _DOC_SUFFIXES) or doc_word
            year_like = len(digits) == 4 and 1945 <= int(digits) <= 2100
            if year_like and (prev1 in _YEAR_WORDS or prev2 in _YEAR_WORDS or not certain):
                continue
            if year_like and not (suffix and suffix[0] in _DOC_SUFFIXES) and _in_range(folded, m):
                continue
            after = folded[m.end() :].split()[:1]
            if after and after[0] in _AMOUNT_UNITS and not certain:
                continue  # "500 triệu", "2 tỷ đồng": a sum of money, never a document number
            if digits in self.known:
                out.append(DocNumber(digits, True, certain))
                continue
            if digits in self.other and not (suffix and suffix[0] in _DOC_SUFFIXES):
                continue
            if certain or len(digits) >= 3:
                out.append(DocNumber(digits, False, certain))
        return out


_AMOUNT_UNITS = frozenset(("trieu", "ty", "nghin", "ngan", "dong", "vnd", "tram", "chuc"))


def _in_range(folded: str, m: re.Match[str]) -> bool:
    """``2016 - 2020`` folds to ``2016 2020``: a four-digit number next to another year is a year."""
    after = folded[m.end() :].split()[:1]
    before = folded[: m.start()].split()[-1:]
    return any(w.isdigit() and len(w) == 4 and 1945 <= int(w) <= 2100 for w in after + before)
