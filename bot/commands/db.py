"""``directive-bot db upgrade|current|downgrade REV``: database migrations (Alembic).

The bot also upgrades the schema itself at start-up (``build_app``); this command is
for operators who want to do it explicitly, for example before a deployment.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="cơ sở dữ liệu: nâng cấp lược đồ (upgrade), xem phiên bản (current)")
    p.add_argument("action", choices=["upgrade", "current", "downgrade"], help="thao tác")
    p.add_argument("revision", nargs="?", default=None, help="phiên bản đích (mặc định: head khi upgrade)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.commands._app import load_settings

    settings = load_settings()
    if settings is None:
        return 2
    from bot.storage import migrations
    from bot.storage.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        if args.action == "upgrade":
            migrations.upgrade(engine, args.revision or "head")
            print(f"Lược đồ đã ở phiên bản {migrations.current(engine)} (mới nhất: {migrations.head()}).")
        elif args.action == "current":
            cur = migrations.current(engine)
            head = migrations.head()
            state = "mới nhất" if cur == head else f"cần nâng cấp lên {head}"
            print(f"Phiên bản hiện tại: {cur or '(chưa có bảng)'} — {state}.")
        else:
            if not args.revision:
                print("Cần chỉ rõ phiên bản đích, ví dụ: directive-bot db downgrade base", file=sys.stderr)
                return 2
            migrations.downgrade(engine, args.revision)
            print(f"Đã hạ lược đồ về {migrations.current(engine) or 'base'}.")
    except Exception as exc:
        print(f"Lỗi cơ sở dữ liệu: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0
