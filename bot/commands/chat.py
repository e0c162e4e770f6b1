"""``directive-bot chat``: the terminal channel.

Interactive (default): readline editing, numbered choices (answer by number or by
label), user ``console:<--user>`` (default: your login name).  Lines starting with
``!`` talk to the terminal itself, not the bot: ``!user ID`` switches user (to play
an admin and two units' officials in one session), ``!file PATH`` sends a file,
``!quit`` leaves.

``--jsonl``: the machine protocol.  Each stdin line is ``{"user": ID, "text": "..."}``
or ``{"user": ID, "choice": VALUE}`` (optionally ``"file": PATH`` to attach a file);
each message the bot sends is a line ``{"to": ID, "text": "...", "choices": [{"label",
"value"}]}`` — replies and the broadcasts or notifications caused by the input alike —
then ``{"done": true}``.  A bad line gets ``{"error": "..."}`` then ``{"done": true}``.

The event loop runs in a background thread; the main thread only reads input, so
Ctrl-C and Ctrl-D leave at once even while the bot is working.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TextIO

PROMPT = "Bạn> "
BLANK_HINT = "(Tin nhắn trống. Gõ câu hỏi hoặc lệnh, ví dụ /trogiup; !quit để thoát.)"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="trò chuyện với bot trong cửa sổ dòng lệnh (hoặc --jsonl cho máy)")
    p.add_argument("--jsonl", action="store_true", help="giao thức JSON lines trên stdin/stdout")
    p.add_argument("--user", default=None, help="mã người dùng (khóa console:<mã>); mặc định: tên đăng nhập")
    p.set_defaults(func=run)


class _Loop:
    """An asyncio loop in a daemon thread; ``run(coro)`` waits for the result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="chat-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def run(args: argparse.Namespace) -> int:
    from bot.commands._app import load_settings
    from bot.logging_setup import setup_logging

    settings = load_settings()
    if settings is None:
        return 2
    # Logs go to stderr (stdout is the conversation); quiet unless asked.
    setup_logging(settings.log_level if settings.log_level != "INFO" else "WARNING")
    from bot.app import build_app

    try:
        app = build_app(settings)
    except Exception as exc:
        print(f"Không khởi động được bot: {exc}", file=sys.stderr)
        return 1
    loop = _Loop()
    try:
        if args.jsonl:
            return run_jsonl(app, loop, sys.stdin, sys.stdout)
        return run_interactive(app, loop, args.user or _login())
    except BrokenPipeError:
        # `chat | head`: the reader left. Leave quietly (no traceback, no error at interpreter exit).
        _quiet_stdout()
        return 0
    finally:
        loop.stop()
        app.close()


def _quiet_stdout() -> None:
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def exports_folder(app: Any) -> Path:
    """Where the terminal writes the files the bot sends (an export): ``exports/`` beside FILES_DIR."""
    return Path(app.settings.files_dir).expanduser().resolve().parent / "exports"


def _login() -> str:
    try:
        return getpass.getuser() or "nguoidung"
    except Exception:
        return "nguoidung"


# ----------------------------------------------------------------- jsonl
def _parse_line(line: str, max_bytes: int) -> Any:
    """An Incoming from one protocol line; raises ValueError with the reason."""
    from bot.channels.console import attachment_from_path, incoming

    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"dòng không phải JSON: {exc.msg}") from exc
    if not isinstance(obj, dict):
        raise ValueError("mỗi dòng phải là một đối tượng JSON")
    user = obj.get("user")
    if not isinstance(user, str | int) or not str(user).strip():
        raise ValueError('thiếu "user"')
    text, choice = obj.get("text"), obj.get("choice")
    if text is not None and not isinstance(text, str):
        raise ValueError('"text" phải là chuỗi')
    if choice is not None and not isinstance(choice, str):
        raise ValueError('"choice" phải là chuỗi')
    attachments = []
    if obj.get("file") is not None:
        attachments.append(attachment_from_path(str(obj["file"]), max_bytes))
    if text is None and choice is None and not attachments:
        raise ValueError('cần "text", "choice" hoặc "file"')
    return incoming(str(user).strip()[:120], text=text, choice=choice, attachments=attachments)


def run_jsonl(app: Any, loop: _Loop, stdin: TextIO, stdout: TextIO) -> int:
    from bot.channels.console import reply_json, save_files
    from bot.messages import Outgoing

    gone = {"pipe": False}
    folder = exports_folder(app)

    def emit(obj_line: str) -> None:
        try:
            stdout.write(obj_line + "\n")
        except BrokenPipeError:
            gone["pipe"] = True

    def sink(chat_id: str, reply: Any) -> None:
        obj = reply_json(chat_id, reply)
        for entry, path in zip(obj.get("files", []), save_files(reply, folder), strict=True):
            entry["path"] = str(path)
        emit(json.dumps(obj, ensure_ascii=False))

    app.console.sink = sink

    async def one(msg: Any) -> None:
        replies = await app.dispatcher.handle(msg)
        for r in replies:
            await app.outbox.send(Outgoing(msg.channel, msg.chat_id, r, msg.user_key))
        await app.wait_background()  # a broadcast's fan-out and its report, before the next line

    for raw in stdin:
        line = raw.strip()
        if not line:
            continue
        try:
            msg = _parse_line(line, app.settings.max_attachment_bytes)
        except ValueError as exc:
            emit(json.dumps({"error": str(exc)}, ensure_ascii=False))
        else:
            try:
                loop.run(one(msg))
            except Exception as exc:  # never die on one bad message
                emit(json.dumps({"error": f"lỗi xử lý: {exc.__class__.__name__}"}, ensure_ascii=False))
        emit(json.dumps({"done": True}))
        try:
            stdout.flush()
        except BrokenPipeError:
            gone["pipe"] = True
        if gone["pipe"]:
            raise BrokenPipeError
    return 0


# ----------------------------------------------------------- interactive
def run_interactive(app: Any, loop: _Loop, user: str) -> int:
    with contextlib.suppress(ImportError):  # line editing and history for input(); not on every platform
        import readline  # noqa: F401
    from bot.channels.console import CHANNEL, attachment_from_path, incoming, render_text, save_files
    from bot.messages import Outgoing

    state = {"user": user}
    gone = {"pipe": False}
    folder = exports_folder(app)

    def show(chat_id: str, reply: Any) -> None:
        who = "" if chat_id == state["user"] else f" → {chat_id}"
        text = render_text(reply)
        for path in save_files(reply, folder):
            text += f"\n  Đã lưu tệp: {path}"
        try:
            print(f"\nBot{who}: {text}", flush=True)
        except BrokenPipeError:
            gone["pipe"] = True

    app.console.sink = show
    role = " (quản trị viên)" if app.settings.is_admin(f"{CHANNEL}:{user}") else ""
    print(
        f"Trợ lý văn bản chỉ đạo 5500/UBND-NC — bạn là {CHANNEL}:{user}{role}.\n"
        "Gõ câu hỏi hoặc lệnh (/trogiup). Chọn bằng số hoặc gõ nội dung lựa chọn.\n"
        "!user MÃ: đổi người dùng; !file ĐƯỜNG_DẪN: gửi tệp; !quit hoặc Ctrl-D: thoát."
    )

    async def one(msg: Any) -> None:
        replies = await app.dispatcher.handle(msg)
        for r in replies:
            await app.outbox.send(Outgoing(msg.channel, msg.chat_id, r, msg.user_key))
        await app.wait_background()  # a broadcast's fan-out and its report, before the next line

    while True:
        try:
            line = input(f"\n{state['user']}> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        line = line.strip()
        if not line:
            print(BLANK_HINT)
            continue
        attachments = []
        if line.startswith("!"):
            cmd, _, rest = line[1:].partition(" ")
            if cmd in ("quit", "exit", "thoat"):
                return 0
            if cmd == "user" and rest.strip():
                state["user"] = rest.strip()
                admin = app.settings.is_admin(f"{CHANNEL}:{state['user']}")
                print(f"Đã chuyển sang {CHANNEL}:{state['user']}" + (" (quản trị viên)." if admin else "."))
                continue
            if cmd == "file" and rest.strip():
                try:
                    attachments.append(attachment_from_path(rest.strip(), app.settings.max_attachment_bytes))
                except ValueError as exc:
                    print(exc)
                    continue
                line = ""
            else:
                print("Lệnh terminal: !user MÃ, !file ĐƯỜNG_DẪN, !quit")
                continue
        msg = incoming(state["user"], text=line or None, attachments=attachments)
        try:
            loop.run(one(msg))
        except KeyboardInterrupt:
            print()
            return 0
        if gone["pipe"]:
            raise BrokenPipeError
