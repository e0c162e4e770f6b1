"""Question analysis: tokens (typo-repaired), units, categories, document numbers, self-reference,
follow-up markers, foreign words.  One :class:`Analyzer` per pack, built once; :meth:`Analyzer.analyze` is
pure and fast (a few hundred microseconds)."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

from knowledge import lexicon
from knowledge.normalize import fold, modern_tones, tokens
from knowledge.numbers import DocNumber, NumberRecognizer
from knowledge.pack import Pack, Unit
from knowledge.units import PhraseFinder, UnitMatcher

__all__ = ["Analysis", "Analyzer", "ref_head"]

_WORD = re.compile(r"[a-z]+")


@dataclass(slots=True)
class Analysis:
    text: str
    folded: str
    toks: list[str]
    units: list[Unit] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    docs: list[DocNumber] = field(default_factory=list)
    self_ref: bool = False
    follow_up: bool = False
    amount: bool = False
    personal: bool = False  # asks for personal details (birth, home town, phone ...)
    offices: list[tuple[int, int]] = field(default_factory=list)  # token spans of office titles ("giám đốc")
    mention_starts: set[int] = field(default_factory=set)  # where unit / category mentions start
    refs: list[str] = field(default_factory=list)  # passage references named ("Mục 2", "Câu kết")
    lower_level: bool = False  # names a commune-level body ("công an xã", "phường Nghĩa Lộ")
    count: bool = False  # asks how many of something ("có bao nhiêu mô hình")
    features: list[str] = field(
        default_factory=list
    )  # tokens used for retrieval (unit/category spans removed)
    content: list[str] = field(default_factory=list)  # non-general tokens outside unit/category/number spans
    foreign: list[str] = field(default_factory=list)  # content tokens the pack's vocabulary does not cover
    asks: set[str] = field(default_factory=set)  # who / when / where / what / yesno
    present: bool = False  # asks about "now" (hiện nay, năm nay ...)

    @property
    def known_docs(self) -> set[str]:
        return {d.number for d in self.docs if d.known}

    @property
    def unknown_docs(self) -> list[str]:
        return [d.number for d in self.docs if not d.known]


class Analyzer:
    def __init__(self, pack: Pack, texts: Iterable[str] = ()) -> None:
        self.pack = pack
        category_aliases = [a for spec in pack.categories.values() for a in spec.get("aliases", [])]
        self.units = UnitMatcher(pack.units, reserved=category_aliases)
        self.categories: PhraseFinder[str] = PhraseFinder()
        for cat, spec in pack.categories.items():
            for alias in spec.get("aliases", []):
                self.categories.add(tokens(alias), cat)
        # Passage references as officials cite them ("Mục 2", "điểm 2", "Câu kết", "Nơi nhận"): the head of
        # each passage's ref ("Mục 3, gạch đầu dòng 1" -> "Mục 3", "Trích yếu (V/v)" -> "Trích yếu").
        self.refs: PhraseFinder[str] = PhraseFinder()
        for passage in pack.passages.values():
            head = ref_head(passage.ref)
            toks = tokens(head)
            self.refs.add(toks, head)
            if len(toks) == 2 and toks[0] == "muc" and toks[1].isdigit():
                self.refs.add(["diem", toks[1]], head)
        # Numbers of the letter that name something other than a document ("Ban Chỉ đạo 247"): words.
        self.names = frozenset(
            str(n) for n in pack.data.get("other_numbers", []) if not _YEAR.fullmatch(str(n))
        )
        # a document that itself addresses communes ("UBND các xã, phường") answers commune-level questions
        folded_text = fold(pack.text or "")
        self.names_communes = bool(
            re.search(r"\b(?:cac xa|xa phuong|cap xa|ubnd xa|uy ban nhan dan xa)\b", folded_text)
        )
        docs = pack.known_numbers()
        # every number the document's text contains names something of it ("Ban Chỉ đạo 1237", "Thông tư
        # 09/2013"): never an unknown document to decline (a pack without ``other_numbers`` included)
        in_text = set(re.findall(r"(?<![\d/])(\d{3,5})(?![\d])", pack.text or ""))
        cited = set(re.findall(r"(?<![\d/])(\d{1,5})\s*/\s*(?:\d{4}\s*/\s*)?[A-ZĐ]", pack.text or ""))
        other = [*pack.data.get("other_numbers", []), *sorted(in_text - cited)]
        self.numbers = NumberRecognizer(docs, other, sorted(cited - set(docs)))

        # Vocabulary: every syllable and adjacent pair the pack uses.  Unit and category names count for typo
        # repair but not for coverage: outside a unit mention, "xây dựng", "nông thôn" are not the directive's
        # subject (unit mentions themselves are covered as spans).
        counts: Counter[str] = Counter()
        bigrams: set[str] = set()
        for t in self._pack_texts(pack, texts):
            toks = tokens(t)
            counts.update(toks)
            bigrams.update(f"{a} {b}" for a, b in itertools.pairwise(toks))
        repair_bigrams = set(bigrams)
        name_bigrams: set[str] = set()
        name_trigrams: set[str] = set()
        for t in self._name_texts(pack):
            toks = tokens(t)
            counts.update(toks)
            name_bigrams.update(f"{a} {b}" for a, b in itertools.pairwise(toks))
            name_trigrams.update(" ".join(toks[i : i + 3]) for i in range(len(toks) - 2))
        repair_bigrams |= name_bigrams
        self.name_trigrams = frozenset(name_trigrams)
        general = set(lexicon.GENERAL)
        general_pairs: set[str] = set()
        for phrase in (
            lexicon.GENERAL_PHRASES | lexicon.FOLLOW_UP | lexicon.SELF_WORDS | lexicon.DOCUMENT_WORDS
        ):
            # phrases cover their words only together ("giai thich" does not make "giai" general)
            parts = tokens(phrase)
            if len(parts) == 1:
                general.add(parts[0])
            pairs = [f"{a} {b}" for a, b in itertools.pairwise(parts)]
            general_pairs.update(pairs)
            bigrams.update(pairs)
            repair_bigrams.update(pairs)
        self.general = frozenset(general)
        self.general_pairs = frozenset(general_pairs)  # "ban hanh", "quy dinh": general only together
        self.counts = counts
        # Initials of the registry's names ("tt", "dl", "ldtb") are words, not typos to repair into "du", nor
        # repair targets ("Sở XD" must not become "Sở GD").
        initials = self.units.initials
        self.vocab = frozenset(w for w in counts if _WORD.fullmatch(w)) | self.general | initials
        self.bigrams = frozenset(bigrams)  # coverage: the directive's own word pairs
        self.repair_bigrams = frozenset(repair_bigrams)  # typo repair: also unit and category names
        self._vocab_list = sorted(self.vocab - initials)
        self._near_cache: dict[str, tuple[str, ...]] = {}

    @staticmethod
    def _pack_texts(pack: Pack, extra: Iterable[str]) -> Iterable[str]:
        yield pack.text
        for p in pack.passages.values():
            yield p.text
        for e in pack.entries:
            yield from e.questions
            yield e.answer
        for d in pack.documents:
            yield str(d.get("title", ""))
        yield from extra

    @staticmethod
    def _name_texts(pack: Pack) -> Iterable[str]:
        for u in pack.units:
            yield u.name
            yield from u.aliases
        for spec in pack.categories.values():
            yield from spec.get("aliases", [])
            yield str(spec.get("label", ""))

    # -- typo repair ----------------------------------------------------------------------------------------
    def _nearest(self, tok: str, max_d: int) -> tuple[str, ...]:
        hit = self._near_cache.get(tok)
        if hit is None:
            res = extract(tok, self._vocab_list, scorer=Levenshtein.distance, score_cutoff=max_d, limit=12)
            hit = tuple(c for c, d, _ in res if d <= max_d and abs(len(c) - len(tok)) <= max_d)
            if len(self._near_cache) > 20000:
                self._near_cache.clear()
            self._near_cache[tok] = hit
        return hit

    def repair(self, toks: list[str]) -> list[str]:
        """Fix unknown syllables: glued words ("kinhphi"), and one-letter slips ("kinh phis", "nhiem vuj"),
        accepted only when the fix forms a known pair with a neighbour (or is long and unambiguous)."""
        out: list[str] = []
        n = len(toks)
        for i, tok in enumerate(toks):
            if tok in self.vocab or not tok.isalpha():
                out.append(tok)
                continue
            prev = out[-1] if out else None
            nxt = toks[i + 1] if i + 1 < n else None
            split = self._split(tok)
            if split:
                out.extend(split)
                continue
            prev2 = out[-2] if len(out) > 1 else None
            nxt2 = toks[i + 2] if i + 2 < n else None
            fixed = self._fix(tok, prev, nxt, prev2, nxt2)
            out.append(fixed or tok)
        return out

    def _split(self, tok: str) -> list[str] | None:
        if len(tok) < 5:
            return None
        for k in range(2, len(tok) - 1):
            a, b = tok[:k], tok[k:]
            if f"{a} {b}" in self.repair_bigrams and a in self.vocab and b in self.vocab:
                return [a, b]
        return None

    def _fix(
        self,
        tok: str,
        prev: str | None,
        nxt: str | None,
        prev2: str | None = None,
        nxt2: str | None = None,
    ) -> str | None:
        max_d = 1 if len(tok) <= 5 else 2
        cands = self._nearest(tok, max_d)
        if not cands:
            return None
        # A well-formed syllable the pack does not use is usually a real word ("thường trú", "đăng ký"), not
        # a slip: it is only repaired into a unit or category name ("công an tin" -> "công an tỉnh").
        real = is_syllable(tok)
        if real:
            # only inside a unit or category name, with two words of context ("công an tin" -> "tỉnh")
            prev2 = prev2 or ""
            nxt2 = nxt2 or ""
            in_context = [
                c
                for c in cands
                if f"{prev2} {prev} {c}" in self.name_trigrams
                or f"{prev} {c} {nxt}" in self.name_trigrams
                or f"{c} {nxt} {nxt2}" in self.name_trigrams
            ]
        else:
            pairs = self.repair_bigrams
            in_context = [
                c
                for c in cands
                if (prev is not None and f"{prev} {c}" in pairs)
                or (nxt is not None and f"{c} {nxt}" in pairs)
            ]
        if in_context:
            return max(in_context, key=lambda c: (-Levenshtein.distance(tok, c), self.counts.get(c, 0)))
        if real:
            return None
        close = [c for c in cands if Levenshtein.distance(tok, c) == 1]
        if len(tok) >= 5 and len(close) == 1:
            return close[0]
        return None

    # -- analysis -------------------------------------------------------------------------------------------
    def analyze(self, text: str) -> Analysis:
        folded = fold(text)
        toks = self.repair(tokens(text, self.vocab))
        a = Analysis(text=text, folded=folded, toks=toks)
        a.docs = self.numbers.find(text)
        taken: set[int] = set()
        unit_mentions = self.units.find(toks, taken)
        cat_mentions = self.categories.find(toks, taken)
        a.refs = _dedupe([m.item for m in self.refs.find(toks)])
        a.units = _dedupe([m.item for m in unit_mentions])
        a.categories = _dedupe([m.item for m in cat_mentions])
        joined = " ".join(toks)
        self_spans = _self_spans(toks)
        a.self_ref = bool(self_spans)
        a.amount = _asks_amount(joined)
        a.personal = any(_has_phrase(joined, p) for p in lexicon.PERSONAL_PHRASES)
        a.offices = _office_spans(toks)
        a.mention_starts = {m.start for m in unit_mentions} | {m.start for m in cat_mentions}
        a.present = any(_has_phrase(joined, p) for p in lexicon.PRESENT_PHRASES)
        a.lower_level = _lower_level(joined, text) and not self.names_communes
        a.count = not a.amount and _asks_count(toks)
        fillers = _phrase_spans(toks, _FILLERS)
        a.features = _strip_numbers(
            [t for i, t in enumerate(toks) if i not in taken and i not in self_spans and i not in fillers],
            {d.number for d in a.docs},
            self.names,
        )
        a.asks = _question_types(toks)
        a.follow_up = _follow_up(a.features)
        doc_tokens = {d.number for d in a.docs}
        covered = [False] * len(toks)
        for i, t in enumerate(toks):
            if i in taken or t in self.general or t.isdigit() or t in doc_tokens:
                covered[i] = True
                continue
            left = toks[i - 1] if i > 0 else None
            right = toks[i + 1] if i + 1 < len(toks) else None
            if (left is not None and f"{left} {t}" in self.bigrams) or (
                right is not None and f"{t} {right}" in self.bigrams
            ):
                covered[i] = True
        in_phrase = {
            j
            for i in range(len(toks) - 1)
            if f"{toks[i]} {toks[i + 1]}" in self.general_pairs
            for j in (i, i + 1)
        }
        for i, t in enumerate(toks):
            if i in taken or t in self.general or t.isdigit() or i in in_phrase or i in fillers:
                continue
            a.content.append(t)
            if not covered[i]:
                a.foreign.append(t)
        return a


_DOC_TAIL = ("uy", "ban", "nhan", "dan", "nc")

# A folded Vietnamese syllable: onset, one to three vowels, coda; no doubled letter (Telex "aa", "ee", typos
# "tinhh").  Approximate on purpose: it only decides how cautious typo repair is.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
)
_DOUBLED = re.compile(r"([a-z])\1")


def is_syllable(tok: str) -> bool:
    return bool(_SYLLABLE.fullmatch(tok)) and not _DOUBLED.search(tok)


def ref_head(ref: str) -> str:
    """ "Mục 3, gạch đầu dòng 1" -> "Mục 3"; "Trích yếu (V/v)" -> "Trích yếu"."""
    return ref.split(",")[0].split("(")[0].strip()


def _question_types(toks: list[str]) -> set[str]:
    """What kind of answer the question wants: who / when / where / what / yesno (empty when unclear)."""
    joined = " " + " ".join(toks) + " "
    out: set[str] = set()
    if " ai " in joined or any(
        f" {w} " in joined for w in ("ten la gi", "ten gi", "co quan nao", "don vi nao", "ong nao", "ba nao")
    ):
        out.add("who")
    if any(f" {w} " in joined for w in ("khi nao", "nam nao", "thang nao", "bao lau")):
        out.add("when")
    if " dau " in joined:
        out.add("where")
    if " gi " in joined and "who" not in out:
        out.add("what")
    if toks and (
        toks[-1] in ("khong", "chua", "ko", "k") or " phai khong " in joined or " dung khong " in joined
    ):
        out.add("yesno")
    return out


_YEAR = re.compile(r"(19|20)\d\d")


def _strip_numbers(toks: list[str], docs: set[str], names: frozenset[str] = frozenset()) -> list[str]:
    """Drop document numbers and their "/UBND-NC" tail: they are matched by :mod:`knowledge.numbers`, not by
    word overlap ("4321/UBND-VX ngày nào" must not look like "2468 ngày nào").  Others ("mục 1") stay, and so
    do the letter's own non-document numbers (``names``: "247" of "Ban Chỉ đạo 247")."""
    out: list[str] = []
    skip = False
    for t in toks:
        if t.isdigit() and t not in names and (t.lstrip("0") in docs or len(t) >= 3):
            skip = True
            continue
        if skip and t in _DOC_TAIL:
            continue
        skip = False
        out.append(t)
    return out


def _dedupe(items: list) -> list:
    seen = set()
    out = []
    for x in items:
        key = getattr(x, "name", x)
        if key not in seen:
            seen.add(key)
            out.append(x)
    return out


def _has_phrase(joined: str, phrase: str) -> bool:
    return f" {phrase} " in f" {joined} "


_LOWER_FOLDED = re.compile(
    r"\b(?:"
    + "|".join(lexicon.LOWER_LEVEL_HEADS)
    + r") (?:"
    + "|".join(lexicon.LOWER_LEVELS)
    + r")\b(?! hoi)"
)
# two level words together: "xã, phường", "phường xã", "xã phường thị trấn"
_LOWER_PAIR = re.compile(r"\b(?:xa phuong|phuong xa|xa thi tran|xa phuong thi tran)\b")
_LOWER_NAMED = re.compile(r"(?<!\w)(?:xã|phường|thị trấn) (\w)", re.IGNORECASE)


def _lower_level(joined: str, written: str) -> bool:
    """ "công an xã", "UBND phường", "cấp xã" (folded), or "xã Tịnh Khê" (a capitalised name after the level
    word in the written question; "thị xã Đức Phổ" is a district)."""
    if _LOWER_FOLDED.search(joined) or _LOWER_PAIR.search(joined):
        return True
    for m in _LOWER_NAMED.finditer(modern_tones(written)):
        before = written[: m.start()].lower().rstrip()
        if m.group(1).isupper() and not before.endswith("thị"):
            return True
    return False


def _asks_count(toks: list[str]) -> bool:
    """ "bao nhiêu" / "mấy" before what is counted (not time or frequency: "mấy lần", "bao nhiêu năm")."""
    for i, t in enumerate(toks):
        if t == "bao" and toks[i + 1 : i + 2] == ["nhieu"]:
            nxt = toks[i + 2 : i + 3]
        elif t == "may":
            nxt = toks[i + 1 : i + 2]
        else:
            continue
        if i > 0 and toks[i - 1] in lexicon.ORDINAL_HEADS:
            continue
        if nxt and nxt[0].isalpha() and nxt[0] not in lexicon.NOT_COUNTED:
            return True
    return False


def _asks_amount(joined: str) -> bool:
    """A sum of money: an explicit amount phrase ("bao nhiêu tiền", "mức chi"), or a money word and a
    quantifier anywhere in the question ("kinh phí năm 2024 cho Công an tỉnh là bao nhiêu")."""
    if any(_has_phrase(joined, p) for p in lexicon.AMOUNT_PHRASES):
        return True
    return any(_has_phrase(joined, q) for q in lexicon.AMOUNT_QUANTIFIERS) and any(
        _has_phrase(joined, w) for w in lexicon.MONEY_WORDS
    )


_OFFICES = sorted((tuple(t.split()) for t in lexicon.OFFICE_TITLES), key=len, reverse=True)


def _office_spans(toks: list[str]) -> list[tuple[int, int]]:
    """Token spans of office titles, longest first, non-overlapping ("phó chủ tịch" is not "chủ tịch")."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(toks)
    while i < n:
        for title in _OFFICES:
            if tuple(toks[i : i + len(title)]) == title:
                out.append((i, i + len(title)))
                i += len(title)
                break
        else:
            i += 1
    return out


_FILLERS = sorted((tuple(p.split()) for p in lexicon.FILLER_PHRASES), key=len, reverse=True)


def _phrase_spans(toks: list[str], phrases: list[tuple[str, ...]]) -> set[int]:
    """Positions covered by any of ``phrases`` (longest first, non-overlapping)."""
    out: set[int] = set()
    i, n = 0, len(toks)
    while i < n:
        for p in phrases:
            if tuple(toks[i : i + len(p)]) == p:
                out.update(range(i, i + len(p)))
                i += len(p)
                break
        else:
            i += 1
    return out


_SELF_TAILS = (
    ("chung", "toi"),
    ("tui", "em"),
    ("tui", "toi"),
    ("bon", "em"),
    ("bon", "toi"),
    ("chung", "em"),
    ("chung", "minh"),
    ("minh",),
    ("toi",),
    ("em",),
    ("ta",),
    ("nha",),
)


def _self_spans(toks: list[str]) -> set[int]:
    """Token positions of self-references: "chúng tôi", "đơn vị mình", "huyện em", "bên tôi", "tôi" first."""
    out: set[int] = set()
    n = len(toks)
    for i in range(n):
        if toks[i] == "chung" and i + 1 < n and toks[i + 1] in ("toi", "em", "minh"):
            out.update((i, i + 1))
        for hl in (2, 1):
            head = " ".join(toks[i : i + hl])
            if len(toks[i : i + hl]) == hl and head in lexicon.SELF_HEADS:
                for tail in _SELF_TAILS:
                    j = i + hl
                    if tuple(toks[j : j + len(tail)]) == tail:
                        out.update(range(j, j + len(tail)))
    if toks[:1] in (["toi"], ["em"]):
        out.add(0)
    return out


def _follow_up(features: list[str]) -> bool:
    if not features:
        return True
    joined = " ".join(features)
    return features[0] in {"con", "the", "vay", "rieng"} or any(
        _has_phrase(joined, p) for p in ("thi sao", "the nao roi", "thi the nao", "cung vay a", "con doi voi")
    )
