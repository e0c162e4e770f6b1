"""Recognition of the directive's units (and unit categories) in free text.

* :meth:`UnitMatcher.find` locates unit names inside a question ("Huyện Bình Sơn áp dụng kinh phí theo đâu?")
  on normalized tokens: exact phrase matches, longest first, non-overlapping.  Typos are repaired before, by
  the engine's token corrector, so this stays exact and fast.
* :meth:`UnitMatcher.match` ranks units for a text that *is* a unit name (registration: "binh son",
  "So KH&DT", "UBND huyen Son Ha", "Công an tinh Phu Yen"): exact phrases score 100, otherwise fuzzy
  similarity (rapidfuzz) of the folded strings.

Every name and alias goes through :func:`knowledge.normalize.tokens`, the same pipeline as the text, so
"UBND" == "Ủy ban nhân dân", "TP" == "thành phố", diacritics optional.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rapidfuzz import fuzz

from knowledge.normalize import fold, modern_tones, tokens
from knowledge.pack import Unit

__all__ = ["Mention", "PhraseFinder", "UnitMatcher", "initialled_forms"]

T = TypeVar("T")

_PREFIXES = ("uy ban nhan dan ",)
# Trailing place words officials drop in speech: "Hội Nông dân tỉnh" -> "Hội Nông dân", "Đài Truyền hình
# Phú Yên" -> "Đài Truyền hình".  Matched on the written form (with diacritics): "tỉnh" (province) is a
# place word, "Tịnh" in "Sơn Tịnh" is part of a name.
_TRAILER = re.compile(r"\s+(?:tỉnh\s+quảng\s+ngãi|quảng\s+ngãi|tỉnh)\s*$")
# Bodies that exist at every level (commune police, district inspectorate, ...): without "tỉnh" they do not
# name the provincial unit ("công an xã" is not "Công an tỉnh").
_LEVELLESS: frozenset[str] = frozenset(
    {
        "cong an",
        "thanh tra",
        "van phong",
        "van phong uy ban nhan dan",
        "uy ban nhan dan",
        "bao",
        "dai",
        "so",
        "ban",
        "hoi",
        "doan",
    }
)

# --- mixed full / initialled names ("Sở Văn hóa TT&DL", "Sở LĐTB và XH", "Ban QL KKT Vân Phong") ------------
# A written name is cut into its head (first word and the lower-case syllables after it: "Sở", "Ban", "Bộ",
# "Liên đoàn"), field groups (split at ",", "&", "-", "và") and, inside a group, segments that start at a
# capitalised syllable (Vietnamese capitalises the first syllable of each component of an organisation's name:
# "Quản lý | Khu kinh tế | Vân Phong").  Runs of capitalised syllables are proper names ("Vân Phong", "Công
# Thương") and are never initialled.
_GROUP_SEP = re.compile(r"\s*[,&\-–]\s*|\s+và\s+")
_CASED_TRAILER = re.compile(r"\s+(?:tỉnh\s+quảng\s+ngãi|quảng\s+ngãi|tỉnh)\s*$", re.IGNORECASE)
_MAX_VARIANTS = 2048  # per cut of a written form (the longest registry name gives a few dozen)


@dataclass(slots=True)
class _Segment:
    words: list[str]
    proper: bool = False  # a proper name ("Vân Phong"): always written in full
    lower: bool = False  # starts lower-case after a separator ("các"): kept as written
    group_start: bool = False  # a separator ("," "&" "-" "và") precedes it

    @property
    def initialable(self) -> bool:
        return not self.proper and not self.lower and len(self.words) >= 2

    @property
    def initials(self) -> str:
        return "".join(fold(w)[:1] for w in self.words)


def _segments(groups: list[str]) -> list[_Segment]:
    out: list[_Segment] = []
    for gi, group in enumerate(groups):
        current: _Segment | None = None
        for word in group.split():
            cap = word[:1].isupper()
            if current is None:
                current = _Segment([word], lower=not cap, group_start=gi > 0)
                out.append(current)
            elif cap and current.words[-1][:1].isupper() and (current.proper or len(current.words) == 1):
                current.words.append(word)  # "Dung" + "Quất": a proper name
                current.proper = True
            elif cap:
                current = _Segment([word])
                out.append(current)
            else:
                current.words.append(word)
    return out


def initialled_forms(written: str) -> list[tuple[str, frozenset[str], int]]:
    """Every mix of full and initialled field groups of one written unit name: ``(form, initials tokens
    used, number of segments)``.

    "Sở Văn hóa, Thể thao và Du lịch" -> "Sở VH TT DL", "Sở Văn hóa TT va DL", "Sở VHTT DL", "Sở VH TTDL", ...
    ("&", "-", "," fold to spaces, so the separators are " " and " va "; initialled neighbours may be glued).
    Each group initials to the first letters of its syllables (``đ`` -> ``d``).  At least one segment is
    initialled; names written with abbreviations ("Sở KH&ĐT") and names without an initialable segment
    ("UBND huyện Bình Sơn", "Sở Công Thương") give nothing.  The trailing "tỉnh" / "Phú Yên" is kept and
    dropped.  A form cut before a separator is also derived when it keeps two segments ("Ban QL KKT Dung
    Quất" from "Ban Quản lý Khu kinh tế Vân Phong và các Khu công nghiệp Phú Yên").
    """
    written = " ".join(modern_tones(written).split())
    words = written.split()
    if len(words) < 3 or any(len(w) >= 2 and w.isupper() for w in re.findall(r"\w+", written)[1:]):
        return []
    trailer = _CASED_TRAILER.search(written)
    tail = trailer.group(0).strip() if trailer else ""
    body = written[: trailer.start()] if trailer else written
    groups = [g for g in _GROUP_SEP.split(body) if g.strip()]
    first = groups[0].split()
    k = 1
    while k < len(first) and not first[k][:1].isupper():
        k += 1
    head = " ".join(first[:k])
    groups = [" ".join(first[k:]), *groups[1:]] if k < len(first) else groups[1:]
    if not groups:
        return []
    out: dict[str, tuple[frozenset[str], int]] = {}
    for cut in range(len(groups), 0, -1):
        segs = _segments(groups[:cut])
        if cut < len(groups) and len(segs) < 2:
            break
        for form, used in itertools.islice(_variants(segs), _MAX_VARIANTS):
            for suffix in (f" {tail}", "") if tail else ("",):
                out.setdefault(f"{head} {form}{suffix}", (used, len(segs)))
    return [(form, used, n) for form, (used, n) in out.items()]


def _variants(segs: list[_Segment]) -> Iterable[tuple[str, frozenset[str]]]:
    """Spellings of ``segs`` with at least one initialled segment: ``(text, initials tokens used)``."""
    choices = [(False, True) if s.initialable else (False,) for s in segs]
    for pick in itertools.product(*choices):
        if not any(pick):
            continue
        joins: list[tuple[str, ...]] = []
        for i in range(1, len(segs)):
            options: list[str] = [" "]
            if segs[i].group_start:
                options.append(" va ")
            if pick[i - 1] and pick[i]:
                options.append("")
            joins.append(tuple(options))
        for join in itertools.product(*joins):
            parts = [segs[0].initials if pick[0] else " ".join(segs[0].words)]
            used: list[str] = [parts[0]] if pick[0] else []
            for i, sep in enumerate(join, start=1):
                if pick[i]:
                    if sep == "":
                        used[-1] += segs[i].initials  # glued to the previous initials: "vh" + "tt"
                    else:
                        used.append(segs[i].initials)
                parts.append(sep)
                parts.append(segs[i].initials if pick[i] else " ".join(segs[i].words))
            yield "".join(parts), frozenset(used)


@dataclass(frozen=True, slots=True)
class Mention(Generic[T]):
    item: T
    start: int  # token offsets in the normalized token list
    end: int


class PhraseFinder(Generic[T]):
    """Exact, longest-first, non-overlapping phrase search over token lists."""

    def __init__(self) -> None:
        self._phrases: dict[tuple[str, ...], T] = {}
        self._first: dict[str, int] = {}  # first token -> longest phrase length starting with it

    def add(self, phrase: Sequence[str], item: T) -> None:
        key = tuple(phrase)
        if not key or key in self._phrases:
            return
        self._phrases[key] = item
        self._first[key[0]] = max(self._first.get(key[0], 0), len(key))

    def __len__(self) -> int:
        return len(self._phrases)

    def phrases(self) -> Iterable[tuple[str, ...]]:
        return self._phrases.keys()

    def find(self, toks: Sequence[str], taken: set[int] | None = None) -> list[Mention[T]]:
        taken = set() if taken is None else taken
        found: list[Mention[T]] = []
        i, n = 0, len(toks)
        while i < n:
            longest = self._first.get(toks[i], 0)
            hit = None
            for size in range(min(longest, n - i), 0, -1):
                if any(j in taken for j in range(i, i + size)):
                    continue
                item = self._phrases.get(tuple(toks[i : i + size]))
                if item is not None:
                    hit = Mention(item, i, i + size)
                    break
            if hit is None:
                i += 1
                continue
            found.append(hit)
            taken.update(range(hit.start, hit.end))
            i = hit.end
        return found


class UnitMatcher:
    """Finds and ranks units by name or alias, with or without diacritics."""

    def __init__(self, units: Iterable[Unit], reserved: Iterable[str] = ()) -> None:
        """``reserved``: phrases that must never become a *derived* short form of a unit (the pack's
        category aliases: "thành phố" names the district category, not the city)."""
        self.units = list(units)
        self.finder: PhraseFinder[Unit] = PhraseFinder()
        self._forms: list[tuple[str, Unit]] = []  # folded, expanded form -> unit (for fuzzy ranking)
        explicit: dict[tuple[str, ...], Unit] = {}
        for unit in self.units:
            for form in self.forms(unit):
                toks = tuple(tokens(form))
                if toks and toks not in explicit:
                    explicit[toks] = unit
        blocked = {tuple(tokens(r)) for r in reserved} | {tuple(x.split()) for x in _LEVELLESS}
        derived, initialled, self.initials = self._derived(explicit, blocked)
        for toks, unit in [*explicit.items(), *derived.items()]:
            self.finder.add(toks, unit)
            self._forms.append((" ".join(toks), unit))
        # initialled forms are found in questions but not ranked fuzzily (a typed "so vh tt" is an exact hit)
        for toks, unit in initialled.items():
            self.finder.add(toks, unit)

    @staticmethod
    def _derived(
        explicit: dict[tuple[str, ...], Unit], blocked: set[tuple[str, ...]]
    ) -> tuple[dict[tuple[str, ...], Unit], dict[tuple[str, ...], Unit], frozenset[str]]:
        """Short forms officials type, derived from the registry: the name without its trailing "tỉnh" /
        "Phú Yên" ("Hội Nông dân"), a department's name cut before "và" or a comma ("Sở Giáo dục",
        "Sở Văn hóa") or after its first two-syllable word ("Sở Giao thông"), and "ngành ..." for a
        department ("ngành y tế").  A short form is kept only when it names exactly one unit, is not an
        explicit form of another unit, has at least two syllables and is not a reserved (category) or
        level-less phrase ("công an", "thanh tra").

        Second result: mixes of full and initialled field groups (:func:`initialled_forms`: "Sở Văn hóa
        TT&DL", "Sở LĐTB và XH", "Bộ CH Quân sự tỉnh"), also with "ngành" for "sở".  Besides naming one unit,
        such a form must keep at least two letters of initials that the abbreviation table does not turn
        into other words ("Sở NV" reads "số nhiệm vụ": dropped), and three when it is a single segment
        ("Sở GTVT" yes, "Sở XD" no): the head word and the rest of the name are the context that keeps "MT",
        "TT" or "DL" alone from ever naming a unit."""
        owners: dict[tuple[str, ...], set[str]] = {}
        unit_of: dict[tuple[str, ...], Unit] = {}
        abbreviated: set[tuple[str, ...]] = set()
        initials: dict[tuple[str, ...], set[str]] = {}  # initialled form -> its initials tokens

        def offer(toks: tuple[str, ...], unit: Unit) -> None:
            if len(toks) < 2 or toks in explicit or toks in blocked:
                return
            owners.setdefault(toks, set()).add(unit.name)
            unit_of[toks] = unit

        def offer_initialled(unit: Unit, written: str) -> None:
            for form, used, segments in initialled_forms(written):
                toks = tuple(tokens(form))
                letters = sum(len(t) for t in toks if t in used)
                if letters < 2 or (segments < 2 and letters < 3):
                    continue
                variants = [toks]
                if toks[:1] == ("so",):
                    variants.append(("nganh", *toks[1:]))
                for v in variants:
                    offer(v, unit)
                    if v in owners:
                        abbreviated.add(v)
                        initials.setdefault(v, set()).update(t for t in v if t in used)

        units = {u.name: u for u in explicit.values()}.values()
        for unit in units:
            for form in (unit.name, *unit.aliases):
                offer_initialled(unit, form)
            written = [modern_tones(f).lower() for f in (unit.name, *unit.aliases)]
            for form in written:
                short = _TRAILER.sub("", form)
                if short != form:
                    offer(tuple(tokens(short)), unit)
            if unit.category != "department":
                continue
            for form in written:
                head = re.split(r"\s+và\s+|,|\s+-\s+", form, maxsplit=1)[0]
                if head != form:
                    offer(tuple(tokens(head)), unit)
            name = written[0]
            if name.startswith("sở "):
                head = re.split(r"\s+và\s+|,|\s+-\s+", name, maxsplit=1)[0]
                offer(("nganh", *tokens(name[3:])), unit)
                offer(("nganh", *tokens(head[3:])), unit)
                rest = tokens(name[3:])
                if len(rest) >= 4:  # "Sở Giao thông vận tải" -> "Sở Giao thông": the first word of the field
                    offer(("so", *rest[:2]), unit)
                    offer(("nganh", *rest[:2]), unit)
        unique = {t: unit_of[t] for t, names in owners.items() if len(names) == 1}
        plain = {t: u for t, u in unique.items() if t not in abbreviated}
        initialled = {t: u for t, u in unique.items() if t in abbreviated}
        letters = frozenset(x for t in initialled for x in initials[t])
        return plain, initialled, letters

    @staticmethod
    def forms(unit: Unit) -> list[str]:
        """Name, aliases, the name without its "UBND" prefix ("huyện Bình Sơn"), and every form without the
        connective "và" ("Sở Khoa học Công nghệ")."""
        out = [unit.name, *unit.aliases]
        joined = " ".join(tokens(unit.name))
        for prefix in _PREFIXES:
            if joined.startswith(prefix):
                out.append(joined[len(prefix) :])
        for form in list(out):
            toks = tokens(form)
            if "va" in toks[1:-1]:
                out.append(" ".join(t for t in toks if t != "va"))
        return out

    initials: frozenset[str]
    """Initials tokens of the initialled forms kept ("tt", "dl", "ldtb", "vhttdl"): words of a unit name,
    not typos (the analyzer neither repairs them nor repairs anything into them)."""

    def vocabulary(self) -> set[str]:
        return {t for form, _ in self._forms for t in form.split()}

    def find(self, toks: Sequence[str], taken: set[int] | None = None) -> list[Mention[Unit]]:
        """Units named in a normalized token list (see :func:`knowledge.normalize.tokens`)."""
        return self.finder.find(toks, taken)

    def match(self, text: str, limit: int = 5) -> list[tuple[Unit, float]]:
        """Units ranked by how well ``text`` names them: ``[(unit, score 0-100)]``, best first.

        Exact name or alias inside the text: 100.  Otherwise the best fuzzy similarity over the unit's forms;
        callers typically accept >= 85 and confirm anything lower with the user.
        """
        toks = tokens(text)
        if not toks:
            return []
        query = " ".join(toks)
        best: dict[str, tuple[Unit, float]] = {}

        def keep(unit: Unit, score: float) -> None:
            if unit.name not in best or best[unit.name][1] < score:
                best[unit.name] = (unit, score)

        for m in self.find(toks):
            keep(m.item, 100.0)
        for form, unit in self._forms:
            if unit.name in best and best[unit.name][1] >= 100:
                continue
            score = max(fuzz.ratio(query, form), fuzz.token_sort_ratio(query, form))
            if f" {query} " in f" {form} ":
                # the text is a whole-word part of the name: "y te" in "so y te", "son" in "binh son"
                score = max(score, 90.0 if len(toks) >= 2 else 80.0 if len(query) >= 3 else score)
            if len(toks) >= 2 and len(query) >= 6:
                # "nong nghiep" inside "so nong nghiep va phat trien nong thon"
                score = max(score, 0.9 * fuzz.partial_ratio(query, form) if len(form) >= len(query) else 0)
            keep(unit, score)
        ranked = sorted(best.values(), key=lambda x: (-x[1], x[0].name))
        return ranked[:limit]
