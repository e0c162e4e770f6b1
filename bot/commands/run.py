"""``directive-bot run``: start the configured channels and the scheduler."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="chạy bot trên các kênh đã cấu hình (Telegram, Zalo) và bộ nhắc hạn")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.commands._app import load_settings
    from bot.config import ConfigError
    from bot.logging_setup import setup_logging

    settings = load_settings()
    if settings is None:
        return 2
    from bot.durable.settings import DurableSettings

    try:
        durable = DurableSettings.from_env()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    from bot.dbwait import EXIT_UNAVAILABLE, wait_for_database

    problem = wait_for_database(settings.database_url, durable.db_wait)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_UNAVAILABLE
    from bot.runner import serve

    try:
        asyncio.run(serve(settings))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.getLogger(__name__).info("Đã dừng.")
    return 0
