"""BM25 over a pack's passages: folded syllables and syllable bigrams (Vietnamese words are mostly two
syllables: "kinh phí", "báo cáo"), Okapi BM25 (k1 = 1.2, b = 0.75), posting lists.

Why our own and not ``bm25s``: ``bm25s`` is well kept but imports numpy and scipy (~0.2-0.3 s, a third of
the ``ask`` cold-start budget) to rank a corpus of tens to a few hundred passages per pack; BM25 itself is
the 40 lines below, and scores come out in the same order.  Scores are normalised to 0-1 against the
query's own maximum (every query term at its best), so one threshold works across packs.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence

__all__ = ["BM25", "terms"]

K1 = 1.2
B = 0.75
PAIR_WEIGHT = 0.8


def terms(toks: Sequence[str]) -> list[str]:
    out = list(toks)
    out.extend(f"{a}_{b}" for a, b in itertools.pairwise(toks))
    return out


class BM25:
    def __init__(self, docs: Sequence[Sequence[str]], stop: frozenset[str] = frozenset()) -> None:
        """``docs``: token lists (already folded).  ``stop``: words that carry no meaning alone (question
        words, function words): they are not indexed as unigrams (their pairs still are)."""
        self.stop = stop
        self.n = len(docs)
        self.tf: list[Counter[str]] = []
        self.len: list[int] = []
        df: Counter[str] = Counter()
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, toks in enumerate(docs):
            c = Counter(t for t in terms(toks) if t not in stop)
            self.tf.append(c)
            self.len.append(sum(c.values()))
            for t in c:
                df[t] += 1
                self.postings[t].append(i)
        self.avg = (sum(self.len) / self.n) if self.n else 1.0
        self.idf = {t: math.log(1 + (self.n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

    def weight(self, term: str) -> float:
        return self.idf.get(term, 0.0) * (PAIR_WEIGHT if "_" in term else 1.0)

    def search(self, toks: Sequence[str], limit: int = 5) -> list[tuple[int, float]]:
        """(doc index, normalised score 0-1) best first."""
        q = [t for t in dict.fromkeys(terms(toks)) if t not in self.stop]
        scores: dict[int, float] = defaultdict(float)
        best = 0.0
        for t in q:
            w = self.weight(t)
            if not w:
                continue
            best += w * (K1 + 1) / (1 + K1 * (1 - B + B * 0.5))
            for i in self.postings.get(t, ()):
                f = self.tf[i][t]
                norm = 1 - B + B * self.len[i] / self.avg
                scores[i] += w * f * (K1 + 1) / (f + K1 * norm)
        if not scores or best <= 0:
            return []
        ranked = sorted(scores.items(), key=lambda x: -x[1])[:limit]
        return [(i, min(1.0, s / best)) for i, s in ranked]
