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
    from bot.config import ConfigError, Settings, load_dotenv_file
    from bot.logging_setup import setup_logging

    load_dotenv_file()
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    from bot.runner import serve

    try:
        asyncio.run(serve(settings))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.getLogger(__name__).info("Đã dừng.")
    return 0
