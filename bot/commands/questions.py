"""``directive-bot questions [--declined] [--limit N] [--json]``: the question log, newest first."""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("questions", help="nhật ký câu hỏi (--declined: những câu bot chưa trả lời được)")
    p.add_argument("--declined", action="store_true", help="chỉ những câu bot đã từ chối trả lời")
    p.add_argument("--limit", type=int, default=100, help="số câu tối đa (mặc định 100)")
    p.add_argument("--json", action="store_true", help="mỗi dòng một đối tượng JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.commands._app import load_settings

    settings = load_settings()
    if settings is None:
        return 2
    from bot.app import TZ
    from bot.storage import migrations
    from bot.storage.db import make_engine
    from bot.store import Store, as_utc

    engine = make_engine(settings.database_url)
    try:
        migrations.upgrade(engine)
        rows = Store(engine).questions(declined_only=args.declined, limit=max(1, args.limit))
    finally:
        engine.dispose()
    if not rows and not args.json:
        print("Không có câu hỏi nào" + (" bị từ chối." if args.declined else "."))
        return 0
    for q in rows:
        when = as_utc(q.at).astimezone(TZ).strftime("%d/%m/%Y %H:%M")  # type: ignore[union-attr]
        if args.json:
            print(
                json.dumps(
                    {
                        "at": when,
                        "user": q.user_key,
                        "unit": q.unit_name,
                        "question": q.question,
                        "answer": q.answer,
                        "confidence": round(q.confidence, 3),
                        "declined": not q.answered,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            status = "TỪ CHỐI" if not q.answered else "đã trả lời"
            unit = f" [{q.unit_name}]" if q.unit_name else ""
            print(f"{when} {q.user_key}{unit} ({status}, độ tin cậy {q.confidence:.2f})")
            print(f"  Hỏi: {q.question}")
            first = q.answer.strip().splitlines()[0] if q.answer.strip() else ""
            print(f"  Đáp: {first[:200]}")
    return 0
