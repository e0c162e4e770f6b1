"""Benchmark: time to build the compiled annual report (issue 12) for a province of 44 and 700 units.

    python bench/bench_report.py [--units 44 700] [--pdf]

For each size: a fresh SQLite database filled by ``bench/province.py`` (the pack's
44 real units first, then synthetic communes; every active unit has reported for 2024 in 1–4 versions), then
``bot.report.build`` for docx and xlsx: the first build in the process (``cold``: includes importing
python-docx and matplotlib) and the median of the next three (``warm``), with the time spent compiling the
data.  Acceptance (issue 12): 44 units ≤ 2 s, 700 units ≤ 10 s.  Run it with ``nice -n 10`` on a shared
machine; figures under load are worse than alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.province import generate  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.report import build  # noqa: E402
from bot.report.data import compile_report  # noqa: E402
from bot.storage.db import make_engine  # noqa: E402
from bot.storage.migrations import upgrade  # noqa: E402
from knowledge import load_pack  # noqa: E402

YEAR = 2024


def timed(fn, *args):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def bench(units: int, url: str, pack, pdf: bool) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    upgrade(engine)
    stats = generate(engine, units=units, users=units * 3, years=(2023, YEAR, 2025), base_units=pack.units)
    engine.dispose()
    app = build_app(Settings(database_url=url, files_dir=tempfile.mkdtemp()), pack=pack)
    try:
        report = compile_report(app, YEAR)
        print(f"\n{units} units ({stats.active_units} active, {len(report.entries)} reported for {YEAR}):")
        for fmt in ("docx", "xlsx") + (("pdf",) if pdf else ()):
            cold, data = timed(build, app, YEAR, fmt)
            warm = [timed(build, app, YEAR, fmt)[0] for _ in range(1 if fmt == "pdf" else 3)]
            median = statistics.median(warm)
            print(f"  {fmt}: cold {cold:.2f} s, warm median {median:.2f} s, {len(data) // 1024} KiB")
        compile_s = statistics.median(timed(compile_report, app, YEAR)[0] for _ in range(3))
        print(f"  compiling the data alone: {compile_s * 1000:.0f} ms")
    finally:
        app.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, nargs="+", default=[44, 700])
    ap.add_argument("--pdf", action="store_true", help="also time the PDF (LibreOffice)")
    args = ap.parse_args()
    pack = load_pack()
    for n in args.units:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            bench(n, url, pack, args.pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
