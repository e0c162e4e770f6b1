"""Small text helpers of the parser: folding that keeps punctuation, case tests, case restoration, vocabulary."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

_VOCAB = Path(__file__).with_name("vocab.yaml")
_WORD = re.compile(r"\w+", re.UNICODE)


@functools.cache
def vocab() -> dict[str, Any]:
    """The parser's vocabulary (``vocab.yaml``): document types, body heads, duty verbs ..."""
    with open(_VOCAB, encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh))


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, no diacritics, đ -> d, whitespace collapsed; punctuation kept (unlike normalize.fold)."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", text).strip()


def is_upper(text: str) -> bool:
    """All letters upper case, and at least three of them ("QUYẾT ĐỊNH", "I. MỤC ĐÍCH")."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


class Recaser:
    """Restores the case of an upper-case line ("ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI") from how the same words
    are written in the body of the document ("Ủy ban nhân dân thành phố Hà Nội"); words the body never
    writes in mixed case are lower-cased, numbers and symbols ("09/2013/TT-BXD") are kept."""

    MAX_N = 5

    def __init__(self, body: str) -> None:
        self.forms: dict[tuple[str, ...], Counter[tuple[str, ...]]] = {}
        for line in body.splitlines():
            if is_upper(line):
                continue
            matches = list(_WORD.finditer(line))
            words = [m.group(0) for m in matches]
            initial = [_initial(line[: m.start()]) for m in matches]
            for n in range(1, self.MAX_N + 1):
                for i in range(len(words) - n + 1):
                    if initial[i]:  # a sentence-initial word: its case says nothing
                        continue
                    gram = tuple(words[i : i + n])
                    key = tuple(w.lower() for w in gram)
                    self.forms.setdefault(key, Counter())[gram] += 1

    def recase(self, text: str) -> str:
        if not is_upper(text):
            head = re.sub(r"\s*\([^()]*\)\s*$", "", text)  # "TITLE (Ban hành kèm theo ...)"
            if head != text and is_upper(head):
                return self.recase(head) + text[len(head) :]
            return text
        tokens = re.split(r"(\w+)", text)  # words at odd indexes
        words = tokens[1::2]
        out = self._segments(words)
        rebuilt = [out[k // 2] if k % 2 else tok for k, tok in enumerate(tokens)]
        result = re.sub(
            r"(\d+(?:/\d{4})?[/-])([\w&Đđ-]+)",
            lambda m: m.group(1) + _symbol_case(m.group(2)),
            "".join(rebuilt),
        )
        return capitalize(result)

    def _segments(self, words: list[str]) -> list[str]:
        """Cover the words with the body's n-grams so that as many words as possible sit in an n-gram of two
        or more (dynamic programming: "TỈNH NGHỆ AN" -> "tỉnh" + "Nghệ An", not "tỉnh Nghệ" + "an")."""
        n = len(words)
        low = [w.lower() for w in words]
        best: list[tuple[int, int, int]] = [(0, 0, 0)] * (n + 1)  # (covered, -segments, length) from i
        for i in range(n - 1, -1, -1):
            options = [(best[i + 1][0], best[i + 1][1] - 1, 1)]
            for k in range(2, min(self.MAX_N, n - i) + 1):
                if tuple(low[i : i + k]) in self.forms:
                    options.append((best[i + k][0] + k, best[i + k][1] - 1, k))
            best[i] = max(options)
        out: list[str] = []
        i = 0
        while i < n:
            k = best[i][2]
            forms = self.forms.get(tuple(low[i : i + k]))
            if forms:
                out.extend(forms.most_common(1)[0][0])
            else:
                out.extend(w if any(c.isdigit() for c in w) else w.lower() for w in words[i : i + k])
            i += k
        return [w if any(c.isdigit() for c in w) else o for w, o in zip(words, out, strict=True)]


_LEAD = re.compile(r"[\W\d_]*|(?:Điều|Chương|Mục|Phần|Bước)\s+\w+[\W\d_]*", re.UNICODE)


def _initial(before: str) -> bool:
    """The word after ``before`` starts a sentence (or an item: "1. Đối tượng", "Điều 2. Sở ...")."""
    return bool(_LEAD.fullmatch(before)) or before.rstrip().endswith((".", ":", ";", "!", "?", "(", "“"))


def _symbol_case(symbol: str) -> str:
    """A document symbol is upper case except a few conventional lower-case tails ("TTg")."""
    up = symbol.upper()
    return re.sub(r"TTG\b", "TTg", up)
