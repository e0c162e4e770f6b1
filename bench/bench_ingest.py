"""Ingestion and multi-pack figures: ingest time of a ~50 KB document; with 50 packs loaded, answer latency
p50/p99 and the cold start of ``directive-bot ask``.  Run with ``nice -n 10`` on the shared machine.

    .venv/bin/python bench/bench_ingest.py
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO / "tests" / "data" / "directives"


def main() -> None:
    from knowledge.ingest.bodies import Registry
    from knowledge.ingest.build import ingest_text
    from knowledge.ingest.reader import extract_text
    from knowledge.ingest.writer import write_pack
    from knowledge.library import load_library, load_registry

    reg = Registry(load_registry())
    base = (DATA / "252-KH-BCDQG1237-2013.md").read_text(encoding="utf-8")
    big = base + "\n" + (DATA / "3210-QD-UBND-HCM-2014.md").read_text(encoding="utf-8").split("-->", 1)[1]
    print(f"document: {len(big.encode()) / 1024:.0f} KB")
    t0 = time.perf_counter()
    text = extract_text(big.encode(), "big.md")
    ingest_text(text, reg)
    print(f"ingest of the {len(big.encode()) // 1024} KB document: {time.perf_counter() - t0:.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        sources = sorted(DATA.glob("*.md"))
        for i in range(50):
            src = sources[i % len(sources)].read_text(encoding="utf-8")
            number = 7000 + i
            src = re.sub(r"Số: (\d+)/", f"Số: {number}/", src, count=1)
            write_pack(ingest_text(extract_text(src.encode(), "x.md"), reg), tmp)
        spec = f"{REPO / 'knowledge' / 'packs'},{tmp}"
        t0 = time.perf_counter()
        lib = load_library(spec)
        print(f"library load, {len(lib.engines)} packs in-process: {time.perf_counter() - t0:.2f} s")
        questions = [
            json.loads(x)["q"] for f in DATA.glob("*.jsonl") for x in f.read_text().splitlines() if x
        ]
        questions += ["Ai ký Kế hoạch 7003?", "Kinh phí thực hiện theo quy định nào?"]
        times = []
        for q in questions * 2:
            t = time.perf_counter()
            lib.answer(q)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p99 = times[int(len(times) * 0.99) - 1]
        print(f"answer latency, 50 packs: p50 {statistics.median(times):.1f} ms, p99 {p99:.1f} ms")
        env = {**os.environ, "KNOWLEDGE_PACKS": spec}
        cmd = [str(REPO / ".venv" / "bin" / "directive-bot"), "ask", "--json", "Ai ký văn bản?"]
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        print(f"ask cold start, 50 packs: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
