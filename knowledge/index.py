"""A small TF-IDF index over question phrasings (unigram + bigram features, cosine similarity).

Built once per pack; a search walks only the posting lists of the query's features, so its cost grows with
how many phrasings share the query's words, not with the size of the pack (10,000 entries stay well under
the 20 ms budget, see ``bench/bench_qa.py``).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Sequence

__all__ = ["Index", "features"]

BLEND = 0.5
PAIR_SCALE = 0.7


def features(toks: Sequence[str]) -> set[str]:
    """Unigrams and adjacent pairs (pairs carry Vietnamese multi-syllable words: "kinh phi", "bao cao")."""
    out = set(toks)
    out.update(f"{a}_{b}" for a, b in itertools.pairwise(toks))
    return out


class Index:
    def __init__(
        self, docs: Sequence[tuple[int, Sequence[str]]], boost: dict[str, float] | None = None
    ) -> None:
        """``docs``: (owner id, tokens) pairs; several docs may share an owner (the phrasings of one entry).
        ``boost``: weight multipliers for some features (question words: "ai" asks for a person, "khi nao" for
        a date -- they decide between entries that share all their other words)."""
        self.owners: list[int] = []
        feats: list[set[str]] = []
        for owner, toks in docs:
            f = features(toks)
            if not f:
                continue
            self.owners.append(owner)
            feats.append(f)
        # Per owner: the union of its phrasings ("bag").  Document frequency counts owners, not phrasings, so
        # the words that define an entry ("kinh phi") are not discounted for being repeated in its phrasings.
        bags: dict[int, set[str]] = defaultdict(set)
        for o, f in zip(self.owners, feats, strict=True):
            bags[o].update(f)
        df: dict[str, int] = defaultdict(int)
        for f in bags.values():
            for x in f:
                df[x] += 1
        n = max(len(bags), 1)
        boost = boost or {}
        # Pairs are scaled down: a rare pair of common words ("duoc_ky") must not outweigh the words.
        self.idf: dict[str, float] = {
            x: math.log(1.0 + n / c) * boost.get(x, 1.0) * (PAIR_SCALE if "_" in x else 1.0)
            for x, c in df.items()
        }
        self.unknown_idf = math.log(1.0 + n)  # a word no phrasing uses weighs like the rarest one
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.norms: list[float] = []
        for i, f in enumerate(feats):
            for x in f:
                self.postings[x].append(i)
            self.norms.append(math.sqrt(sum(self.idf[x] ** 2 for x in f)))
        self.postings = dict(self.postings)
        # A question mixing words of two phrasings of the same entry still scores well (bag coverage).
        self.bag_postings: dict[str, list[int]] = defaultdict(list)
        for o, f in bags.items():
            for x in f:
                self.bag_postings[x].append(o)
        self.bag_postings = dict(self.bag_postings)
        self.feats: list[frozenset[str]] = [frozenset(f) for f in feats]
        self.bags: dict[int, frozenset[str]] = {o: frozenset(f) for o, f in bags.items()}
        self.common_limit = max(400, len(feats) // 50)

    def search(
        self, toks: Sequence[str], limit: int = 10, light: frozenset[str] | set[str] = frozenset()
    ) -> list[tuple[int, float]]:
        """Best owners by cosine similarity of their best phrasing: ``[(owner, score 0..1)]``.

        Candidates come from the posting lists of the query's *rare* features; the common ones (in more than
        ``common_limit`` phrasings, e.g. "gi", "nao" in a pack of 10,000 entries) are then added to those
        candidates by set membership instead of walking their long posting lists.  Words no phrasing uses
        lower the score (they weigh like the rarest word), except ``light`` ones (function words).
        """
        q = features(toks)
        if not q:
            return []
        qnorm2 = 0.0
        rare: list[tuple[str, float]] = []
        common: list[tuple[str, float]] = []
        for x in q:
            w = self.idf.get(x)
            if w is None:
                # Unknown pairs are expected (any new word order); only unknown words weigh fully.
                qnorm2 += (0.5 if "_" in x or x in light else self.unknown_idf) ** 2
                continue
            w2 = w * w
            qnorm2 += w2
            (common if len(self.postings[x]) > self.common_limit else rare).append((x, w2))
        if not rare and common:
            common.sort(key=lambda xw: -xw[1])
            rare, common = common[:2], common[2:]
        if not rare:
            return []
        dots: dict[int, float] = defaultdict(float)
        bag: dict[int, float] = defaultdict(float)
        for x, w2 in rare:
            for i in self.postings[x]:
                dots[i] += w2
            for o in self.bag_postings[x]:
                bag[o] += w2
        if common:
            for i in dots:
                fi = self.feats[i]
                dots[i] += sum(w2 for x, w2 in common if x in fi)
            for o in bag:
                bo = self.bags[o]
                bag[o] += sum(w2 for x, w2 in common if x in bo)
        qnorm = math.sqrt(qnorm2)
        best: dict[int, float] = {}
        owners, norms = self.owners, self.norms
        for i, dot in dots.items():
            s = dot / (qnorm * norms[i])
            o = owners[i]
            if s > best.get(o, 0.0):
                best[o] = s
        # Blend: best phrasing (precise) and how much of the question the entry's vocabulary covers (recall).
        out = [(o, max(s, BLEND * s + (1 - BLEND) * bag[o] / qnorm2)) for o, s in best.items()]
        return heapq.nlargest(limit, out, key=lambda kv: kv[1])
