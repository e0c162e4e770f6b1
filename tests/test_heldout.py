"""Held-out 5500 sets written blind (tests/data/heldout/, by the "blind" helper) as regression floors.

The floors sit below the measured figures (see /work/notes/qa.md) so that a class of questions breaking
shows, without turning these sets into targets to fit.  Sealed files are never read here (only the
scorer may run on them).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from knowledge import QAEngine, load_pack
from knowledge.normalize import fold

HELDOUT = Path(__file__).resolve().parent / "data" / "heldout"
TODAY = dt.date(2026, 12, 1)  # the date the sets were written against


def _rows(name: str) -> list[dict]:
    path = HELDOUT / name
    if not path.exists():
        pytest.skip(f"{name} not present")
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _passes(row: dict, out: dict) -> bool:
    answer = fold(str(out["answer"])).replace("/ ", "/")
    answer = " ".join(answer.split())
    if row.get("oos"):
        return not out["answered"]
    return (
        out["answered"]
        and all(" ".join(fold(e).split()) in answer for e in row.get("expect", []))
        and all(any(" ".join(fold(e).split()) in answer for e in g) for g in row.get("expect_any", []))
    )


@pytest.fixture(scope="module")
def engine() -> QAEngine:
    return QAEngine(load_pack(), clock=lambda: TODAY)


def _rate(engine: QAEngine, rows: list[dict], oos: bool) -> float:
    chosen = [r for r in rows if bool(r.get("oos")) == oos]
    ok = sum(_passes(r, engine.answer(r["q"], unit=r.get("unit")).to_json()) for r in chosen)
    return ok / len(chosen) if chosen else 1.0


@pytest.mark.parametrize(
    ("name", "floor_in", "floor_oos"),
    [
        ("5500_blind_a.jsonl", 0.90, 0.90),
        ("5500_period_a.jsonl", 0.85, 1.0),
        ("5500_botusage_a.jsonl", 0.85, 1.0),
    ],
)
def test_heldout_sets_stay_above_their_floor(
    engine: QAEngine, name: str, floor_in: float, floor_oos: float
) -> None:
    rows = _rows(name)
    assert _rate(engine, rows, oos=False) >= floor_in
    assert _rate(engine, rows, oos=True) >= floor_oos


def test_heldout_followups_stay_above_their_floor(engine: QAEngine) -> None:
    rows = _rows("5500_followups_a.jsonl")
    ok = 0
    for row in rows:
        context = None
        for turn in row["turns"]:
            ans = engine.answer(turn["q"], unit=turn.get("unit"), context=context)
            context = ans.context
        ok += _passes(row["turns"][-1], ans.to_json())
    assert ok / len(rows) >= 0.8
