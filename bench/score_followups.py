#!/usr/bin/env python3
"""Score follow-up pairs through ``directive-bot ask --json -`` sessions.

Rows: ``{"id", "turns": [{"q", "unit"?}, ..., {"q", "unit"?, "expect"?, "expect_any"?, "oos"?}]}``.
Every turn of a row is sent with ``"session": <id>`` (consecutive lines of one session share context);
only the last turn is scored, with the rule of ``shared/eval/score.py`` (answered, folded answer contains
every ``expect`` and one string of each ``expect_any`` group; ``oos``: declined).

Usage: score_followups.py PAIRS.jsonl [--cmd "directive-bot"] [--min 0.9] [--quiet]
The last line printed is the figure; exit 0 when the rate reaches ``--min``.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import unicodedata


def fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d").replace("Đ", "d")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", text).strip()


def passes(turn: dict, out: dict) -> bool:
    answer = fold(str(out.get("answer", "")))
    answered = bool(out.get("answered"))
    if turn.get("oos"):
        return not answered
    return (
        answered
        and all(fold(e) in answer for e in turn.get("expect", []))
        and all(any(fold(e) in answer for e in g) for g in turn.get("expect_any", []))
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs")
    ap.add_argument("--cmd", default="directive-bot")
    ap.add_argument("--min", type=float, default=0.9)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    with open(args.pairs, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    feed: list[str] = []
    for row in rows:
        for turn in row["turns"]:
            line = {"question": turn["q"], "session": str(row["id"])}
            if turn.get("unit"):
                line["unit"] = turn["unit"]
            feed.append(json.dumps(line, ensure_ascii=False) + "\n")
    proc = subprocess.run(
        [*shlex.split(args.cmd), "ask", "--json", "-"],
        input="".join(feed),
        capture_output=True,
        text=True,
        timeout=300,
    )
    outs = [json.loads(x) for x in proc.stdout.splitlines() if x.strip().startswith("{")]
    if proc.returncode != 0 or len(outs) != len(feed):
        print(proc.stderr[-2000:], file=sys.stderr)
        print(f"followups: the bot gave {len(outs)} answers for {len(feed)} turns (exit {proc.returncode})")
        return 1
    ok = 0
    pos = 0
    for row in rows:
        pos += len(row["turns"])
        last, out = row["turns"][-1], outs[pos - 1]
        good = passes(last, out)
        ok += good
        if not good and not args.quiet:
            print(f"FAIL {row['id']}: {[t['q'] for t in row['turns']]!r} answered={out.get('answered')}")
            print(f"     answer: {str(out.get('answer', ''))[:300]!r}")
    rate = ok / len(rows) if rows else 1.0
    print(f"followups: {ok}/{len(rows)} ({rate:.0%})")
    return 0 if rate >= args.min else 1


if __name__ == "__main__":
    sys.exit(main())
