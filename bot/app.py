"""The composition root: ``build_app(settings, *, clock=None) -> App``.

Everything a channel adapter, the scheduler or a CLI command needs hangs off
:class:`App`: settings, database engine and repositories (``app.store``), the
knowledge pack and its question-answering engine, the one sending path
(``app.outbox``), the conversation core (``app.dispatcher``) and the clock.

The database schema is brought to the latest Alembic revision here, at start-up
(idempotent, serialized between processes), so the embedded SQLite default works on
first run; ``directive-bot db upgrade`` does the same explicitly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.config import TIMEZONE, Settings
from bot.messages import Outgoing, Reply
from bot.outbox import Outbox
from bot.services import PackLike, QAService
from bot.storage.db import make_engine
from bot.storage.executor import DBExecutor
from bot.store import Store

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.channels.console import ConsoleSender
    from bot.conversation import Dispatcher
    from bot.files import FileStore
    from bot.forms import FormSpec
    from bot.reminders.obligations import Obligations
    from bot.reminders.service import ReminderService

log = logging.getLogger(__name__)

TZ = ZoneInfo(TIMEZONE)
Clock = Callable[[], datetime]

SETTING_OPEN_YEARS = "report.open_years"  # extra years an admin opened beyond the pack's period
SETTING_CURRENT_YEAR = "report.current_year"  # the default year of /baocao, when an admin set one

CATEGORY_LABELS = {  # used when the pack gives no label for a category
    "district": "UBND huyện, thị xã, thành phố",
    "department": "Sở, ban, ngành tỉnh",
    "socio_political": "Tổ chức chính trị - xã hội tỉnh",
    "armed_forces": "Lực lượng vũ trang",
    "media": "Cơ quan báo chí",
}


@dataclass
class App:
    settings: Settings
    engine: Engine
    store: Store
    pack: PackLike
    qa: QAService
    outbox: Outbox
    clock: Clock
    # Set by build_app once the app exists (they need it or each other):
    form: FormSpec = field(init=False)  # the pack's report form
    files: FileStore = field(init=False)  # report attachments
    console: ConsoleSender = field(init=False)  # the terminal channel's sender
    dispatcher: Dispatcher = field(init=False)  # the conversation core
    # Components other modules attach when they run in this process (typed, no service locator):
    scheduler: AsyncIOScheduler | None = None  # scheduler.start()
    reminders: ReminderService | None = None  # bot.reminders.service.for_app
    obligations: Obligations | None = None  # bot.reminders.obligations.for_app
    unit_matcher: tuple[Any, ...] | None = None  # handlers.registration's cached matcher
    report_semaphore: asyncio.Semaphore | None = None  # handlers.compiled: reports built at once
    # bounded DB pools (bot/storage/executor.py): await app.db.run(fn, *args, heavy=True)
    db: DBExecutor = field(init=False)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set, repr=False)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run work off the user's turn (a broadcast fan-out); kept referenced until it ends."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait_background(self) -> None:
        """Wait for the work :meth:`spawn` started (the terminal chat, to keep its output in order)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def now(self) -> datetime:
        """Aware local time (Asia/Ho_Chi_Minh)."""
        return self.clock().astimezone(TZ)

    def category_label(self, category: str) -> str:
        """Vietnamese name of a unit category (the pack's label when it has one)."""
        label = None
        getter = getattr(self.pack, "category_label", None)
        if callable(getter):
            label = getter(category)
        if not label or label == category:
            label = CATEGORY_LABELS.get(category, category)
        label = str(label)
        return label[:1].upper() + label[1:]

    def local_time(self, dt: datetime | None) -> str:
        """``HH:MM dd/mm/yyyy`` in Asia/Ho_Chi_Minh for a stored (UTC) time."""
        if dt is None:
            return ""
        aware = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
        return aware.astimezone(TZ).strftime("%H:%M %d/%m/%Y")

    def local_day(self, dt: datetime) -> date:
        """The local (Asia/Ho_Chi_Minh) calendar day of a stored time."""
        aware = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
        return aware.astimezone(TZ).date()

    # ------------------------------------------------------------ report years
    @property
    def period(self) -> tuple[int, int]:
        """The directive's period, from the pack's report form (2021–2025 for 5500)."""
        return self.form.period

    def open_years(self) -> list[int]:
        extra = self.store.get_setting(SETTING_OPEN_YEARS, []) or []
        start, end = self.period
        years = set(range(start, end + 1)) | {int(y) for y in extra if str(y).isdigit()}
        return sorted(years)

    def reporting_year(self) -> int:
        """Default year: an admin's choice, else this year inside the period, else the period's last year."""
        chosen = self.store.get_setting(SETTING_CURRENT_YEAR)
        if isinstance(chosen, int) and chosen in self.open_years():
            return chosen
        year = self.now().year
        start, end = self.period
        if start <= year <= end:
            return year
        return end

    # --------------------------------------------------------------- sending
    async def notify(self, user_key: str, reply: Reply | str) -> bool:
        """Send one message to a known user through the outbox (skipped if they blocked the bot)."""
        reply = Reply(reply) if isinstance(reply, str) else reply
        user = await asyncio.to_thread(self.store.get_user, user_key)
        if user is None or not user.active:
            return False
        result = await self.outbox.send(Outgoing(user.channel, user.chat_id, reply, user.key))
        if result.ok and reply.choices:
            await self.dispatcher.offer(user.key, reply.choices)
        return result.ok

    async def notify_admins(self, reply: Reply | str, exclude: str = "") -> None:
        """Tell every configured admin who has talked to the bot at least once."""
        reply = Reply(reply) if isinstance(reply, str) else reply
        admins = await asyncio.to_thread(
            self.store.users_by_keys, [k for k in self.settings.admins if k != exclude]
        )
        outs = [Outgoing(u.channel, u.chat_id, reply, u.key) for u in admins if u.active]
        if outs:
            results = await self.outbox.send_many(outs)
            if reply.choices:
                for r in results:
                    if r.ok:
                        await self.dispatcher.offer(r.outgoing.user_key, reply.choices)

    def schedule_changed(self) -> None:
        """Tell the reminder scheduler running in this process (if any) that what is due changed
        (a submission, an opened year, a unit added or retired); other processes catch up at
        their next sweep."""
        import scheduler

        scheduler.notify_changed(self)

    def close(self) -> None:
        db = self.__dict__.get("db")
        if db is not None:
            db.close()
        self.engine.dispose()


def _system_clock() -> datetime:
    return datetime.now(UTC)


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    pack: Any = None,
    qa: Any = None,
    migrate: bool = True,
) -> App:
    """Wire the application. ``pack`` and ``qa`` may be given (tests share one loaded pack)."""
    from bot.channels.console import CONSOLE_LIMIT, ConsoleSender
    from bot.conversation import Dispatcher, load_routers
    from bot.files import FileStore
    from bot.forms import load_form
    from handlers import ROUTERS
    from knowledge import QAEngine, load_pack

    clock = clock or _system_clock
    engine = make_engine(settings.database_url)
    if migrate:
        from bot.storage.migrations import upgrade

        upgrade(engine)
    store = Store(engine, clock=clock)
    if pack is None and qa is None:  # every loaded directive (KNOWLEDGE_PACKS), one engine each
        from knowledge.library import load_library

        qa = load_library(settings.knowledge_pack or None)
        pack = qa.pack
    if pack is None:
        pack = load_pack(settings.knowledge_pack or None)
    if qa is None:
        qa = QAEngine(pack)
    outbox = Outbox(limits={"console": CONSOLE_LIMIT})

    async def blocked(key: str) -> None:
        await asyncio.to_thread(store.mark_inactive, key)

    outbox.set_blocked_callback(blocked)
    app = App(settings=settings, engine=engine, store=store, pack=pack, qa=qa, outbox=outbox, clock=clock)
    app.form = load_form(pack)
    app.db = DBExecutor.from_settings(settings)
    app.files = FileStore(settings.files_dir, settings.max_attachment_bytes, store)
    app.console = ConsoleSender()
    outbox.register(app.console, CONSOLE_LIMIT)
    added = store.seed_units(getattr(pack, "units", []) or [])
    if added:
        log.info("Đã thêm %d đơn vị từ gói tri thức.", added)
    app.dispatcher = Dispatcher(app, load_routers(ROUTERS))
    return app
