"""``directive-bot`` command line.

Each subcommand lives in ``bot/commands/<name>.py`` with ``add_parser(subparsers)``
and ``run(args) -> int``; modules are imported only when their command runs, so
``directive-bot ask`` stays fast (no Telegram stack, no database).
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ["ask", "chat", "run", "export", "report", "questions", "db", "reminders", "units"]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="directive-bot",
        description="Trợ lý văn bản chỉ đạo 5500/UBND-NC: hỏi đáp, báo cáo, nhắc hạn.",
    )
    sub = parser.add_subparsers(dest="command", metavar="LỆNH")
    for name in COMMANDS:
        if only is not None and name != only:
            sub.add_parser(name, add_help=False)
            continue
        try:
            module = importlib.import_module(f"bot.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bot.commands.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    first = next((a for a in argv if not a.startswith("-")), None)
    # Build only the parser of the command being run: keeps start-up light.
    parser = build_parser(only=first if first in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
