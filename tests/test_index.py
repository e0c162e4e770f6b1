"""TF-IDF index: best phrasing per owner, bag coverage, unknown words lower the score."""

from __future__ import annotations

from knowledge.index import Index, features


def test_features_are_words_and_pairs() -> None:
    assert features(["kinh", "phi"]) == {"kinh", "phi", "kinh_phi"}
    assert features([]) == set()


def test_search_ranks_owner_of_best_phrasing() -> None:
    idx = Index(
        [(0, ["kinh", "phi", "lay", "dau"]), (0, ["nguon", "kinh", "phi"]), (1, ["ai", "ky", "van", "ban"])]
    )
    ranked = idx.search(["kinh", "phi", "o", "dau"])
    assert ranked[0][0] == 0
    assert all(o != 1 for o, _ in ranked)
    assert idx.search(["ai", "ky", "van", "ban"])[0] == (1, 1.0)
    assert idx.search([]) == [] and idx.search(["zzz"]) == []


def test_unknown_words_lower_the_score() -> None:
    idx = Index([(0, ["kinh", "phi"]), (1, ["ai", "ky"])])
    clean = idx.search(["kinh", "phi"])[0][1]
    noisy = idx.search(["kinh", "phi", "truong", "hoc"])[0][1]
    assert noisy < clean


def test_bag_combines_phrasings_of_one_owner() -> None:
    idx = Index(
        [(0, ["nguon", "kinh", "phi"]), (0, ["su", "dung", "nao"]), (1, ["nguon", "goc", "van", "ban"])]
    )
    ranked = dict(idx.search(["su", "dung", "nguon", "kinh", "phi", "nao"]))
    assert ranked[0] > ranked.get(1, 0)
