"""``directive-bot units list|add|retire``: the unit registry (seeded from the knowledge pack)."""

from __future__ import annotations

import argparse
import sys

CATEGORIES = ["district", "department", "socio_political", "armed_forces", "media"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("units", help="danh sách đơn vị: xem (list), thêm (add), ngừng (retire)")
    p.add_argument("action", choices=["list", "add", "retire"])
    p.add_argument("name", nargs="?", default=None, help="tên đơn vị (add, retire) hoặc #ID (retire)")
    p.add_argument("--category", choices=CATEGORIES, default=None, help="nhóm đơn vị (add)")
    p.add_argument("--all", action="store_true", help="list: cả đơn vị đã ngừng")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.commands._app import load_app
    from bot.store import StoreError

    app = load_app()
    if app is None:
        return 2
    store = app.store
    try:
        if args.action == "list":
            for u in store.list_units(active_only=not args.all):
                state = "" if u.active else " (đã ngừng)"
                print(f"#{u.id}\t{u.category}\t{u.name}{state}")
            return 0
        if not args.name:
            print("Cần tên đơn vị.", file=sys.stderr)
            return 2
        if args.action == "add":
            if not args.category:
                print("Cần --category (" + ", ".join(CATEGORIES) + ").", file=sys.stderr)
                return 2
            unit = store.add_unit(args.name, args.category, "cli")
            print(f"Đã thêm #{unit.id} {unit.name}.")
            return 0
        ref = args.name.strip()
        unit = (
            store.get_unit(int(ref[1:]))
            if ref.startswith("#") and ref[1:].isascii() and ref[1:].isdigit() and len(ref) <= 10
            else store.unit_by_name(ref)
        )
        if unit is None:
            print(
                f"Không tìm thấy đơn vị “{ref}” (dùng đúng tên trong `units list` hoặc #ID).", file=sys.stderr
            )
            return 1
        unit = store.retire_unit(unit.id, "cli")
        print(f"Đã ngừng {unit.name}.")
        return 0
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        app.close()
