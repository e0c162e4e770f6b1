"""``directive-bot ingest FILE [--id ID] [--out DIR]``: a document (.md/.txt/.docx/.pdf) becomes a pack.

Prints what was recognised and what was not; exit 0 on success, 2 with a Vietnamese error and nothing
written when the file cannot be read or is not a document.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="nạp một văn bản (.docx/.pdf/.md/.txt) thành gói tri thức để hỏi đáp")
    p.add_argument("file", help="tệp văn bản")
    p.add_argument("--id", default=None, help="mã gói (mặc định: từ số, ký hiệu, ví dụ 1026-KH-UBND)")
    p.add_argument("--out", default="data/packs", help="thư mục chứa các gói (mặc định ./data/packs)")
    p.add_argument("--registry", default=None, help="tệp danh mục đơn vị (mặc định $UNITS_REGISTRY)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from knowledge.ingest.service import IngestFailed, ingest_bytes

    path = Path(args.file)
    if args.id is not None and not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z._-]{0,80}", args.id):
        print(
            "Lỗi: --id chỉ gồm chữ, số, dấu chấm, gạch ngang, gạch dưới (tối đa 80 ký tự).", file=sys.stderr
        )
        return 2
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"Lỗi: không đọc được tệp {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        result, folder = ingest_bytes(data, path.name, args.out, pack_id=args.id, registry=args.registry)
    except IngestFailed as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    print(f"Đã tạo gói {result.id} tại {folder}")
    for line in result.report:
        print(f"- {line}")
    return 0
