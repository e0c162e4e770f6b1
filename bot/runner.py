"""``directive-bot run``: the configured channels, the one HTTP server and the scheduler in one process."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from typing import Any, Protocol

from bot.config import Settings
from bot.http import WebServer

log = logging.getLogger(__name__)

CHANNEL_MODULES = ["bot.channels.telegram", "bot.channels.zalo"]


class ChannelAdapter(Protocol):
    channel: str

    async def start(self, web: WebServer | None) -> None: ...

    async def stop(self) -> None: ...


async def serve(settings: Settings, stop_event: asyncio.Event | None = None, app: Any = None) -> None:
    """Run until SIGTERM/SIGINT (or ``stop_event``), then shut everything down in reverse order."""
    from bot.app import build_app

    app = app or build_app(settings)
    stop_event = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop_event.set)

    adapters: list[ChannelAdapter] = []
    for name in CHANNEL_MODULES:
        module = importlib.import_module(name)
        adapter = module.build(app)
        if adapter is not None:
            adapters.append(adapter)
    if not adapters:
        log.warning(
            "Không có kênh nào được cấu hình (TELEGRAM_BOT_TOKEN, ZALO_BOT_TOKEN); chỉ chạy bộ nhắc hạn."
        )

    address = settings.listen_address()
    web = WebServer(*address) if address else None
    if web is not None and settings.web_listen:
        from bot.web import mount

        mount(app, web)
    started: list[ChannelAdapter] = []
    sched = None
    try:
        for adapter in adapters:
            await adapter.start(web)
            started.append(adapter)
        if web is not None:
            await web.start()
        import scheduler

        sched = scheduler.start(app)
        log.info("Đã khởi động: kênh %s", ", ".join(a.channel for a in adapters) or "(không)")
        await stop_event.wait()
    finally:
        log.info("Đang dừng...")
        await _shutdown(app, sched, started, web)
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


async def _shutdown(app: Any, sched: Any, started: list[ChannelAdapter], web: WebServer | None) -> None:
    """SIGTERM: stop taking updates (polling stops, webhooks get 503), finish the turns taken and
    send the outbox within SHUTDOWN_GRACE_SECONDS, then close the HTTP clients.  What is left
    stays in the database for the next start (or another instance)."""
    from bot.durable.runtime import existing

    if sched is not None:
        with contextlib.suppress(Exception):
            import scheduler

            scheduler.shutdown(sched)
    for adapter in started:
        stop_receiving = getattr(adapter, "stop_receiving", None)
        if stop_receiving is not None:
            try:
                await stop_receiving()
            except Exception:
                log.exception("Lỗi khi dừng nhận tin của kênh %s", adapter.channel)
    if web is not None:
        web.drain()
    rt = existing(app)
    if rt is not None:
        try:
            complete = await rt.drain()
            if not complete:
                log.warning("Hết thời gian chờ khi dừng: phần việc còn lại được giữ trong cơ sở dữ liệu.")
        except Exception:
            log.exception("Lỗi khi hoàn tất các tin nhắn đang xử lý")
    for adapter in reversed(started):
        try:
            await adapter.stop()
        except Exception:  # keep stopping the others
            log.exception("Lỗi khi dừng kênh %s", adapter.channel)
    if web is not None:
        await web.stop()
