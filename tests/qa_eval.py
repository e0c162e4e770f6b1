"""Scores the engine in-process on a JSONL question file with the rules of /work/shared/eval/score.py.

Used by tests/test_qa.py and runnable by hand: ``python -m tests.qa_eval tests/data/qa_cases.jsonl``.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

from knowledge import QAEngine, load_pack


def load_rows(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def score_fold(text: str) -> str:
    """Exactly the folding of /work/shared/eval/score.py (no punctuation removal)."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return " ".join("".join(c for c in text if unicodedata.category(c) != "Mn").split())


def check(row: dict, out: dict) -> bool:
    """score.py's rule: an out-of-scope row passes when declined; an in-scope row when answered and the
    folded answer contains every "expect" string and one string of each "expect_any" group."""
    if row.get("oos"):
        return not out.get("answered")
    answer = score_fold(str(out.get("answer", "")))
    return (
        bool(out.get("answered"))
        and all(score_fold(e) in answer for e in row.get("expect", []))
        and all(any(score_fold(e) in answer for e in group) for group in row.get("expect_any", []))
    )


def evaluate(engine: QAEngine, rows: list[dict]) -> tuple[float, float, list[tuple[dict, dict]]]:
    ins = ins_ok = oos = oos_ok = 0
    failures = []
    for row in rows:
        out = engine.answer(row["q"], unit=row.get("unit")).to_json()
        ok = check(row, out)
        if row.get("oos"):
            oos += 1
            oos_ok += ok
        else:
            ins += 1
            ins_ok += ok
        if not ok:
            failures.append((row, out))
    return (ins_ok / ins if ins else 1.0), (oos_ok / oos if oos else 1.0), failures


if __name__ == "__main__":
    eng = QAEngine(load_pack())
    for path in sys.argv[1:]:
        rin, roos, fails = evaluate(eng, load_rows(path))
        for row, out in fails:
            print(
                f"FAIL {row['id']}: {row['q']!r} unit={row.get('unit')!r} answered={out['answered']} "
                f"conf={out['confidence']}\n     {out['answer'][:160]!r}"
            )
        print(f"{path}: in-scope {rin:.1%}, out-of-scope declined {roos:.1%}")
