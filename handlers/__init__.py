"""Conversation handlers: one router per module, listed in priority order.

The dispatcher (:mod:`bot.conversation`) imports each module in ``ROUTERS`` and uses
its ``router``.  A listed module that does not exist (yet) is skipped, so a component
can ship its handlers (``handlers.reminders``) without touching this list again.
``handlers.qa`` is last: it answers free text outside any flow.
"""

ROUTERS: list[str] = [
    "handlers.start",
    "handlers.registration",
    "handlers.report",
    "handlers.status",
    "handlers.admin",
    "handlers.compiled",
    "handlers.reminders",
    "handlers.web",
    "handlers.documents",
    "handlers.qa",
]
