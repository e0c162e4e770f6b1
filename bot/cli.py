"""``directive-bot`` command line.

Each subcommand lives in ``bot/commands/<name>.py`` with ``add_parser(subparsers)``
and ``run(args) -> int``; modules are imported only when their command runs, so
``directive-bot ask`` stays fast (no Telegram stack, no database).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# argparse's own texts ("usage:", "options", errors) in Vietnamese: argparse looks its module-level
# ``_`` up at call time, so replacing it translates every parser, subcommands included.
ARGPARSE_VI = {
    "usage: ": "cách dùng: ",
    "positional arguments": "tham số",
    "options": "tùy chọn",
    "show this help message and exit": "hiện hướng dẫn này rồi thoát",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "unrecognized arguments: %s": "tham số không nhận ra: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "lựa chọn không hợp lệ: %(value)r (chọn một trong %(choices)s)"
    ),
    "expected one argument": "cần một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
    "expected at most one argument": "chỉ nhận tối đa một giá trị",
    "invalid %(type)s value: %(value)r": "giá trị %(type)s không hợp lệ: %(value)r",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "ambiguous option: %(option)s could match %(matches)s": (
        "tùy chọn mơ hồ: %(option)s có thể là %(matches)s"
    ),
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "not allowed with argument %s": "không dùng cùng tham số %s",
}


def _vi(message: str) -> str:
    return ARGPARSE_VI.get(message, message)


argparse._ = _vi  # type: ignore[attr-defined]

COMMANDS = [
    "ask",
    "chat",
    "run",
    "export",
    "report",
    "questions",
    "db",
    "reminders",
    "units",
    "ingest",
    "packs",
    "web",
]


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
