"""``directive-bot report --year YEAR [--format docx|xlsx|pdf] [--output FILE]``: the compiled annual report
of the standing office (Decree 30/2020/NĐ-CP layout), from the stored submissions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="lập báo cáo tổng hợp năm (docx theo Nghị định 30/2020, xlsx, pdf)")
    p.add_argument("--year", type=int, default=None, help="năm báo cáo (mặc định: năm báo cáo hiện tại)")
    p.add_argument(
        "--format", choices=["docx", "xlsx", "pdf"], default="docx", help="định dạng (mặc định docx)"
    )
    p.add_argument(
        "--output",
        "-o",
        default=None,
        help="tệp kết quả (mặc định: bao-cao-tong-hop-NĂM.ĐỊNH-DẠNG; '-' = stdout)",
    )
    p.set_defaults(func=run)


def _write(data: bytes, target: str) -> None:
    if target == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)


def run(args: argparse.Namespace) -> int:
    from bot.commands._app import load_app
    from bot.report import ReportError, build, filename

    app = load_app()
    if app is None:
        return 2
    try:
        year = args.year or app.reporting_year()
        data = build(app, year, args.format)
        app.store.audit("cli", "report", {"year": year, "format": args.format})
    except ReportError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        app.close()
    target = args.output or filename(year, args.format)
    if target == "-" and sys.stdout.isatty():
        print("Tệp báo cáo là dữ liệu nhị phân: dùng --output TỆP.", file=sys.stderr)
        return 2
    _write(data, target)
    if target != "-":
        print(f"Đã lập báo cáo tổng hợp năm {year} ({args.format}): {target}", file=sys.stderr)
    return 0
