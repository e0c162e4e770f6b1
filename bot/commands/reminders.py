"""``directive-bot reminders``: plan, send and configure deadline reminders.

- ``plan --year Y [--json] [--now ISO]``: every reminder of the year — when, to whom, ledger status;
- ``run-due [--now ISO] [--json]``: send everything due at that instant through the configured channels
  (Telegram, Zalo: sending only, no polling), then exit. Idempotent: the delivery ledger makes a
  second run with the same ``--now`` send nothing, also after a crash or SIGKILL of the first;
- ``set-due YEAR DD/MM/YYYY [--obligation unit|compiled]``: change a due date (audit-logged). A running
  bot picks it up at its next sweep (``scheduler.SWEEP_MINUTES``), without a restart;
- ``mark-done YEAR``: the standing office sent the compiled report to the Provincial People's Committee.

``--now`` is ISO-8601; without an offset it is local time (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OBLIGATION_ALIASES = {"unit": "unit-annual-report", "compiled": "compiled-annual-report"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reminders", help="nhắc hạn báo cáo: xem kế hoạch, gửi lời nhắc đến hạn, đổi hạn nộp")
    rsub = p.add_subparsers(dest="reminders_command", metavar="VIỆC")

    plan = rsub.add_parser("plan", help="những lời nhắc sẽ gửi trong một năm: khi nào, cho ai")
    plan.add_argument("--year", type=int, required=True, help="năm báo cáo")
    plan.add_argument("--json", action="store_true", help="in JSON")
    plan.add_argument("--now", default=None, help="tính tại thời điểm này (ISO-8601; mặc định: bây giờ)")
    plan.set_defaults(func=run_plan)

    due = rsub.add_parser("run-due", help="gửi mọi lời nhắc đến hạn tại một thời điểm rồi thoát")
    due.add_argument("--now", default=None, help="thời điểm (ISO-8601, ví dụ 2025-11-28T08:00+07:00)")
    due.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    due.set_defaults(func=run_due)

    setd = rsub.add_parser("set-due", help="đổi hạn nộp của một năm (mốc do quản trị viên đặt)")
    setd.add_argument("year", type=int, help="năm báo cáo, ví dụ 2025")
    setd.add_argument("date", help="hạn mới dd/mm/yyyy, ví dụ 30/11/2025")
    setd.add_argument(
        "--obligation",
        choices=sorted(OBLIGATION_ALIASES),
        default="unit",
        help="unit: báo cáo của đơn vị (mặc định); compiled: báo cáo tổng hợp gửi UBND tỉnh",
    )
    setd.add_argument("--actor", default="cli", help="ghi vào nhật ký thao tác (mặc định: cli)")
    setd.set_defaults(func=run_set_due)

    done = rsub.add_parser("mark-done", help="đánh dấu đã gửi báo cáo tổng hợp năm lên UBND tỉnh")
    done.add_argument("year", type=int)
    done.add_argument("--actor", default="cli")
    done.set_defaults(func=run_mark_done)

    p.set_defaults(func=lambda _args: (p.print_help(), 0)[1])


def parse_now(text: str | None) -> datetime:
    """ISO-8601 -> aware datetime (naive = Asia/Ho_Chi_Minh); ValueError with a Vietnamese message."""
    if not text:
        return datetime.now(TZ)
    raw = text.strip().replace(" ", "T", 1)
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"--now “{text}” không phải thời điểm ISO-8601 "
            "(ví dụ 2025-11-28T08:00 hoặc 2025-11-28T08:00+07:00)."
        ) from None
    return value.replace(tzinfo=TZ) if value.tzinfo is None else value


def _app() -> Any:
    from bot.commands._app import load_app

    return load_app()


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def run_plan(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from bot.reminders import views
    from bot.reminders.obligations import for_app as obligations_for_app
    from bot.reminders.state import MAX_YEAR, MIN_YEAR

    try:
        now = parse_now(args.now)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not MIN_YEAR <= args.year <= MAX_YEAR:
        print(f"Năm {args.year} không hợp lệ.", file=sys.stderr)
        return 2
    app = _app()
    if app is None:
        return 2
    try:
        settings = app.settings
        channels = {
            c for c, on in (("telegram", settings.telegram_enabled), ("zalo", settings.zalo_enabled)) if on
        }
        with Session(app.engine) as session:
            data = views.plan(
                session, app.engine, obligations_for_app(app), args.year, now, settings.admins, channels
            )
    finally:
        app.close()
    if args.json:
        _print_json(data)
    else:
        print(views.plan_text(data))
    return 0


async def _start_senders(app: Any) -> list[Any]:
    """Register the configured channels' senders in ``app.outbox`` (no polling, no webhook)."""
    from bot.channels import telegram, zalo

    adapters: list[Any] = []
    tg = telegram.build(app)
    if tg is not None:
        await tg.start_sending()
        adapters.append(tg)
    za = zalo.build(app)  # building registers its sender
    if za is not None:
        adapters.append(za)
    return adapters


async def _run_due(app: Any, now: datetime) -> Any:
    from bot.reminders.service import for_app

    adapters: list[Any] = []
    try:
        adapters = await _start_senders(app)
        service = for_app(app)
        if not service.channels:
            print(
                "Không có kênh nào để gửi (đặt TELEGRAM_BOT_TOKEN và/hoặc ZALO_BOT_TOKEN).", file=sys.stderr
            )
            return None
        return await service.run_due(now)
    finally:
        for adapter in reversed(adapters):
            with contextlib.suppress(Exception):
                await adapter.stop()


def _summary(report: Any) -> str:
    r = report.as_dict()
    lines = [
        f"Nhắc hạn tại {report.now.strftime('%H:%M %d/%m/%Y')}: {r['due']} lời nhắc đến hạn.",
        f"- Gửi lần này: {r['sent']}; đã có trong sổ từ trước: {r['already']}.",
    ]
    if r["blocked"]:
        lines.append(f"- Người nhận đã chặn bot (đánh dấu ngừng gửi): {r['blocked']}.")
    if r["skipped"]:
        lines.append(f"- Bỏ qua vì đơn vị vừa nộp hoặc người nhận đã chặn bot: {r['skipped']}.")
    if r["failed"]:
        lines.append(f"- Gửi lỗi: {r['failed']} (lỗi tạm thời sẽ được thử lại ở lần chạy sau).")
    if r["recovered_claims"] or r["unknown_from_crash"]:
        lines.append(
            f"- Lần chạy trước bị dừng đột ngột: {r['recovered_claims']} lời nhắc chưa gửi đã được gửi lại; "
            f"{r['unknown_from_crash']} lời nhắc đang gửi dở được coi là đã gửi (không gửi lại)."
        )
    if r["write_errors"]:
        lines.append(f"- Lỗi ghi sổ gửi: {r['write_errors']} (xem nhật ký).")
    return "\n".join(lines)


def run_due(args: argparse.Namespace) -> int:
    try:
        now = parse_now(args.now)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    app = _app()
    if app is None:
        return 2
    try:
        report = _run_until_signal(_run_due(app, now))
    except Exception as exc:
        from bot.config import ConfigError

        if isinstance(exc, ConfigError):
            print(exc, file=sys.stderr)
            return 2
        raise
    finally:
        app.close()
    if report is None:
        return 2
    if args.json:
        _print_json(report.as_dict())
    else:
        print(_summary(report))
    return 1 if report.failed or report.write_errors else 0


def _run_until_signal(coro: Any) -> Any:
    """``asyncio.run`` that turns SIGTERM into a clean cancellation (claims not yet sent are released)."""

    async def main() -> Any:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)  # type: ignore[union-attr]
        return await coro

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        print("Đã dừng theo yêu cầu; lời nhắc chưa gửi sẽ được gửi ở lần chạy sau.", file=sys.stderr)
        raise SystemExit(143) from None


def run_set_due(args: argparse.Namespace) -> int:
    from bot.reminders import state
    from bot.reminders.obligations import for_app as obligations_for_app
    from bot.reminders.policy import PolicyError, fmt_date, parse_vn_date

    app = _app()
    if app is None:
        return 2
    try:
        obligations = obligations_for_app(app)
        try:
            new = parse_vn_date(args.date)
            change = state.set_due(
                app.engine, obligations, OBLIGATION_ALIASES[args.obligation], args.year, new, args.actor
            )
        except PolicyError as exc:
            print(exc, file=sys.stderr)
            return 2
    finally:
        app.close()
    before = "không đổi" if change.old == change.new else f"trước đây {fmt_date(change.old)}"
    print(f"Đã lưu: hạn “{change.obligation.title}” năm {args.year} là {fmt_date(change.new)} ({before}).")
    if change.opened_year:
        print(f"Năm {args.year} nằm ngoài giai đoạn của văn bản: đã mở năm này để nhắc hạn.")
    print("Bot đang chạy sẽ áp dụng trong vòng 10 phút, không cần khởi động lại.")
    return 0


def run_mark_done(args: argparse.Namespace) -> int:
    from bot.reminders import state
    from bot.reminders.obligations import for_app as obligations_for_app
    from bot.reminders.policy import PolicyError

    app = _app()
    if app is None:
        return 2
    try:
        try:
            changed = state.mark_done(
                app.engine, obligations_for_app(app), OBLIGATION_ALIASES["compiled"], args.year, args.actor
            )
        except PolicyError as exc:
            print(exc, file=sys.stderr)
            return 2
    finally:
        app.close()
    print(
        f"Đã lưu: báo cáo tổng hợp năm {args.year} đã gửi UBND tỉnh."
        if changed
        else f"Báo cáo tổng hợp năm {args.year} đã được đánh dấu từ trước."
    )
    return 0
