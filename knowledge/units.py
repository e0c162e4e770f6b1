"""Recognition of the directive's units (and unit categories) in free text.

* :meth:`UnitMatcher.find` locates unit names inside a question ("Huyện Bình Sơn áp dụng kinh phí theo đâu?")
  on normalized tokens: exact phrase matches, longest first, non-overlapping.  Typos are repaired before, by
  the engine's token corrector, so this stays exact and fast.
* :meth:`UnitMatcher.match` ranks units for a text that *is* a unit name (registration: "binh son",
  "So KH&DT", "UBND huyen Son Ha", "Công an tinh Quang Ngai"): exact phrases score 100, otherwise fuzzy
  similarity (rapidfuzz) of the folded strings.

Every name and alias goes through :func:`knowledge.normalize.tokens`, the same pipeline as the text, so
"UBND" == "Ủy ban nhân dân", "TP" == "thành phố", diacritics optional.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rapidfuzz import fuzz

from knowledge.normalize import tokens
from knowledge.pack import Unit

__all__ = ["Mention", "PhraseFinder", "UnitMatcher"]

T = TypeVar("T")

_PREFIXES = ("uy ban nhan dan ",)


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

    def __init__(self, units: Iterable[Unit]) -> None:
        self.units = list(units)
        self.finder: PhraseFinder[Unit] = PhraseFinder()
        self._forms: list[tuple[str, Unit]] = []  # folded, expanded form -> unit (for fuzzy ranking)
        # Longest names first so a short alias never shadows a longer name of another unit.
        for unit in self.units:
            for form in self.forms(unit):
                toks = tokens(form)
                self.finder.add(toks, unit)
                self._forms.append((" ".join(toks), unit))

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
