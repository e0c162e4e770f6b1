"""Logging with secrets redacted: bot tokens appear in Bot API URLs, and must never reach a log."""

from __future__ import annotations

import logging
import re

_TOKEN_IN_URL = re.compile(r"(?<!/)(/(?:file/)?bot)[^/\s]+")  # not "//bot-api.zaloplatforms.com"
# python-telegram-bot logs every request's parameters at DEBUG, setWebhook's secret_token included
# (and Zalo's setWebhook body has the same key): any "secret_token" / "X-...-Secret-Token" value goes.
_SECRET_VALUE = re.compile(
    r"""((?:secret_token|secret-token)['"]?\s*[:=]\s*['"]?)[^'",\s})]+""", re.IGNORECASE
)


def redact(text: str) -> str:
    return _SECRET_VALUE.sub(r"\1<secret>", _TOKEN_IN_URL.sub(r"\1<token>", text))


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record: a traceback (an httpx error names its URL) is not covered by
    the filter below, which sees only the message."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        redacted = redact(msg)
        if redacted != msg:
            record.msg, record.args = redacted, ()
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactTokens())
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL (with the token) at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
