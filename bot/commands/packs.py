"""``directive-bot packs list``: the knowledge packs loaded (KNOWLEDGE_PACKS)."""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("packs", help="các văn bản (gói tri thức) đang được nạp")
    p.add_argument("action", choices=["list"], help="list: liệt kê")
    p.add_argument("--json", action="store_true", help="in dạng JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from knowledge import PackError
    from knowledge.library import load_library

    try:
        lib = load_library()
    except PackError as exc:
        print(f"Lỗi gói tri thức: {exc}", file=sys.stderr)
        return 2
    rows = lib.listing()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        print(f"{r['document']} — {r['kind']} ngày {r['date']} của {r['issuer']}")
        print(f"    {r['subject'][:150]}")
        print(f"    mã gói: {r['id']}; tự nạp: {r['ingested']}; thư mục: {r['folder']}")
    print(f"Tổng: {len(rows)} văn bản.")
    return 0
