"""``directive-bot web``: the standing office's pages alone; ``directive-bot web link USER``: a login link.

``web`` needs no channel: the embedded default (SQLite ``./data/bot.db``) on ``WEB_LISTEN``
(default ``127.0.0.1:8080``). ``directive-bot run`` serves the same pages when ``WEB_LISTEN`` is set.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import signal
import sys
from typing import Any

DEFAULT_LISTEN = "127.0.0.1:8080"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "web", help="trang web của Thường trực Ban Chỉ đạo (tổng quan, đơn vị, duyệt đăng ký...)"
    )
    p.add_argument(
        "action", nargs="?", choices=["serve", "link"], default="serve", help="serve (mặc định) hoặc link"
    )
    p.add_argument(
        "user", nargs="?", default="", help="với link: khóa người dùng, ví dụ console:admin hoặc telegram:123"
    )
    p.set_defaults(func=run)


def _settings() -> Any:
    from bot.commands._app import load_settings

    settings = load_settings()
    if settings is not None and not settings.web_listen:
        settings = dataclasses.replace(settings, web_listen=DEFAULT_LISTEN)
    return settings


def run(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings is None:
        return 2
    if args.action == "link":
        return link(settings, args.user)
    return serve(settings)


def link(settings: Any, user_key: str) -> int:
    from bot.commands._app import load_app
    from bot.web.auth import NotAllowed, issue_link

    if not user_key or ":" not in user_key:
        print(
            "Cú pháp: directive-bot web link KÊNH:MÃ, ví dụ directive-bot web link console:admin",
            file=sys.stderr,
        )
        return 2
    app = load_app(settings)
    if app is None:
        return 2
    try:
        url = issue_link(app.engine, app.settings, app.clock, user_key)
        app.store.audit("cli", "web.link", {"user": user_key})
    except NotAllowed as exc:
        print(f"{user_key}: {exc}", file=sys.stderr)
        return 1
    finally:
        app.close()
    print(url)
    print("Liên kết dùng một lần, hết hạn sau 15 phút.", file=sys.stderr)
    return 0


def serve(settings: Any) -> int:
    from bot.commands._app import load_app

    app = load_app(settings)
    if app is None:
        return 2
    try:
        asyncio.run(_serve(app))
    except OSError as exc:
        print(f"Không mở được cổng {settings.web_listen} (WEB_LISTEN): {exc}", file=sys.stderr)
        return 2
    finally:
        app.close()
    return 0


async def _serve(app: Any) -> None:
    from bot.http import WebServer
    from bot.web import mount
    from bot.web.auth import base_url

    host, _, port = app.settings.web_listen.rpartition(":")
    server = WebServer(host.strip("[]"), int(port))
    mount(app, server)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(
        f"Trang web: {base_url(app.settings)}/web/ (đăng nhập: directive-bot web link console:admin)",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await server.stop()
