"""``directive-bot export --year Y --format csv|json|xlsx [--output FILE]``: every active unit with its
latest submission for the year (missing units included), Vietnamese headers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="xuất tổng hợp báo cáo một năm (csv, json, xlsx)")
    p.add_argument("--year", type=int, default=None, help="năm báo cáo (mặc định: năm báo cáo hiện tại)")
    p.add_argument(
        "--format", choices=["csv", "json", "xlsx"], default="xlsx", help="định dạng (mặc định xlsx)"
    )
    p.add_argument("--output", "-o", default=None, help="tệp kết quả (mặc định: stdout, trừ xlsx)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.commands._app import load_app
    from bot.export import export

    app = load_app()
    if app is None:
        return 2
    try:
        year = args.year or app.reporting_year()
        if not 2000 <= year <= 2100:
            print("Năm không hợp lệ.", file=sys.stderr)
            return 2
        data = export(app, year, args.format)
        app.store.audit("cli", "export", {"year": year, "format": args.format})
    finally:
        app.close()
    if args.output:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(out)
        print(f"Đã xuất năm {year} ({args.format}) vào {out}.", file=sys.stderr)
        return 0
    if args.format == "xlsx" and sys.stdout.isatty():
        print("Tệp xlsx là dữ liệu nhị phân: dùng --output TỆP.xlsx", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0
