"""Bodies named in the text ("Sở Xây dựng", "Ủy ban nhân dân quận, huyện", "Ban Chỉ đạo quốc gia 1237") and
what each must do: lead (chủ trì, giao, có trách nhiệm ...), coordinate (phối hợp với ...), report.

A body's name starts at a head word (vocab ``body_heads``) and runs on while its syllables are capitalised
compounds ("Kế hoạch và Đầu tư"), qualifiers ("tỉnh", "quốc gia", "1237") or the plural levels of a local
authority ("các quận, huyện").  "Giám đốc các Sở: Lao động ..., Tài chính, Y tế" names three departments.
Names are then matched to the province's unit registry (case, diacritics and province name aside).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.ingest.text import fold, vocab

_TOKEN = re.compile(r"\w+(?:[&/.-]\w+)*|[-–&]|[,;:.()“”\"\n]", re.UNICODE)
_CONNECT = {"và", "-", "–", "&"}
_LEVELS = (
    "tỉnh",
    "thành phố",
    "huyện",
    "quận",
    "thị xã",
    "xã",
    "phường",
    "thị trấn",
    "cấp",
    "tỉnh, thành phố",
)


@dataclass(frozen=True, slots=True)
class Mention:
    name: str
    start: int  # character offsets in the text
    end: int


@functools.cache
def _heads() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    v = vocab()["body_heads"]
    free = sorted((tuple(h.split()) for h in v["free"]), key=len, reverse=True)
    cap = sorted((tuple(h.split()) for h in v["cap"]), key=len, reverse=True)
    return free, cap


@functools.cache
def _qualifiers() -> list[tuple[str, ...]]:
    return sorted((tuple(fold(q).split()) for q in vocab()["body_qualifiers"]), key=len, reverse=True)


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


def _head_at(words: list[str], i: int) -> int:
    """Length of the body head starting at word i (0 if none)."""
    low = [w.lower() for w in words[i : i + 6]]
    free, cap = _heads()
    for head in free:
        if tuple(low[: len(head)]) == head:
            return len(head)
    if not _is_cap(words[i]):
        return 0
    for head in cap:
        if tuple(low[: len(head)]) == head:
            return len(head)
    return 0


def _qualifier_at(words: list[str], i: int) -> int:
    low = tuple(fold(w) for w in words[i : i + 3])
    for q in _qualifiers():
        if low[: len(q)] == q:
            return len(q)
    return 0


def find_bodies(text: str) -> list[Mention]:
    """Every body named in ``text``, in order (a name inside a longer one is not repeated)."""
    toks = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    words = [t[0] for t in toks]
    out: list[Mention] = []
    i = 0
    while i < len(words):
        h = _head_at(words, i)
        if not h:
            i += 1
            continue
        # "các Sở: A, B, C" -> Sở A, Sở B, Sở C
        if i > 0 and words[i - 1].lower() == "các" and i + h < len(words) and words[i + h] == ":":
            listed, j = _listed(words, toks, i, h)
            if listed:
                out.extend(listed)
                i = j
                continue
        j = _extend(words, i + h)
        if j - i > h or (h >= 2 and _standalone(words[i : i + h])):
            out.append(Mention(text[toks[i][1] : toks[j - 1][2]], toks[i][1], toks[j - 1][2]))
        i = max(j, i + 1)
    return out


def _standalone(head: list[str]) -> bool:
    """A head that is a name by itself ("Chính phủ", "Tỉnh ủy", "Công an" needs a level)."""
    return fold(" ".join(head)) in ("chinh phu", "thu tuong chinh phu", "tinh uy", "thanh uy", "tinh doan")


def _extend(words: list[str], j: int) -> int:
    """End (exclusive) of the name whose head ends at ``j``."""
    n = len(words)
    last_cap = False  # the head is complete by itself ("Ban Chỉ đạo" + "ở" is not a name)
    lowers = 0
    while j < n:
        w = words[j]
        if w.lower() in _LEVELS and not _is_cap(w):
            j = _levels(words, j)
            last_cap, lowers = False, 0
            continue
        q = _qualifier_at(words, j) if not _is_cap(w) else 0
        if q:
            j += q
            last_cap, lowers = False, 0
            continue
        if w.lower() == "các" and j + 1 < n and words[j + 1].lower() in _LEVELS:
            j = _levels(words, j + 1)
            break
        if any(c.isdigit() for c in w) and not w.isdigit():
            break
        if w.isdigit():
            j += 1
            continue
        if w in _CONNECT or w.lower() == "và":
            if (
                j + 1 < n
                and _is_cap(words[j + 1])
                and not _head_at(words, j + 1)
                and not _is_title(words, j + 1)
            ):
                j += 1
                continue
            break
        if not w[:1].isalpha():
            break
        if _is_cap(w):
            if _is_title(words, j):
                break
            j += 1
            last_cap, lowers = True, 0
            continue
        if last_cap and lowers < 1:  # second syllable of a capitalised compound: "Xây dựng", "Tài nguyên"
            j += 1
            lowers += 1
            continue
        break
    # a name does not end on a connector
    while j > 0 and words[j - 1] in _CONNECT | {"và", ","}:
        j -= 1
    return j


def _levels(words: list[str], j: int) -> int:
    """ "các quận, huyện, thị xã" after a local authority's head."""
    n = len(words)
    while j < n:
        w = words[j].lower()
        two = f"{w} {words[j + 1].lower()}" if j + 1 < n else ""
        if two in _LEVELS:
            j += 2
        elif w in _LEVELS:
            j += 1
        else:
            break
        if (
            j < n
            and words[j] in (",", "và")
            and j + 1 < n
            and words[j + 1].lower() in (*_LEVELS, "thành", "thị")
        ):
            j += 1
            continue
        break
    return j


@functools.cache
def _titles() -> list[tuple[str, ...]]:
    return sorted((tuple(t.split()) for t in vocab()["titles"]), key=len, reverse=True)


def _is_title(words: list[str], j: int) -> bool:
    low = tuple(w.lower() for w in words[j : j + 3])
    return any(low[: len(t)] == t for t in _titles()) and _is_cap(words[j])


def _listed(words: list[str], toks, i: int, h: int) -> tuple[list[Mention], int]:  # type: ignore[no-untyped-def]
    head = " ".join(words[i : i + h])
    j = i + h + 1
    out: list[Mention] = []
    while j < len(words):
        start = j
        k = j
        while k < len(words) and words[k] not in (",", ";", ".", ":", "(", ")"):
            k += 1
        if k == start or not _is_cap(words[start]):
            break
        name = f"{head} " + " ".join(words[start:k]).replace(" - ", " - ")
        out.append(Mention(_respace(name), toks[start][1], toks[k - 1][2]))
        j = k
        if j < len(words) and words[j] == ",":
            j += 1
            continue
        break
    return out, j


def _respace(name: str) -> str:
    return re.sub(r"\s+([,;:.])", r"\1", re.sub(r"\s+", " ", name)).strip()


# -- registry matching ---------------------------------------------------------------------------------------
_PROVINCE_WORDS = re.compile(r"\s+(?:tỉnh|thành phố|TP\.?)\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*(?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*){0,3}$")


class Registry:
    """The province's unit registry, for matching a body named in a document to a unit."""

    def __init__(self, units: Iterable[object]) -> None:
        self.units = list(units)
        self.by_key: dict[str, object] = {}
        for u in self.units:
            for name in (getattr(u, "name", ""), *getattr(u, "aliases", ())):
                for key in _keys(str(name)):
                    self.by_key.setdefault(key, u)

    def match(self, name: str) -> object | None:
        for key in _keys(name):
            u = self.by_key.get(key)
            if u is not None:
                return u
        return None


def _keys(name: str) -> list[str]:
    """Folded forms of a name: as written, without a trailing province name, "UBND" spelt out."""
    base = fold(name).replace("-", " ").replace("  ", " ")
    base = re.sub(r"\bubnd\b", "uy ban nhan dan", base)
    base = re.sub(r"[^\w& ]", " ", base)
    base = re.sub(r"\s+", " ", base).strip()
    keys = [base]
    stripped = fold(_PROVINCE_WORDS.sub(" tỉnh", name)).replace("-", " ")
    stripped = re.sub(r"[^\w& ]", " ", re.sub(r"\bubnd\b", "uy ban nhan dan", stripped))
    stripped = re.sub(r"\s+", " ", stripped).strip()
    if stripped and stripped not in keys:
        keys.append(stripped)
    return keys
