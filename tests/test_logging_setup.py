"""Tokens never reach a log line, neither in the message nor in a traceback."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logging_setup import setup_logging

TOKEN = "123456:ABC-secret_Token"


@pytest.fixture
def captured() -> io.StringIO:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    setup_logging("INFO")
    out = io.StringIO()
    root.handlers[0].setStream(out)  # type: ignore[attr-defined]
    yield out
    root.handlers[:], root.level = saved


def test_token_in_message_and_traceback_is_redacted(captured: io.StringIO) -> None:
    log = logging.getLogger("test.redact")
    log.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise RuntimeError(
            f"Client error '404' for url 'https://bot-api.zaloplatforms.com/bot{TOKEN}/getUpdates'"
        )
    except RuntimeError:
        log.exception("sending failed")
    text = captured.getvalue()
    assert TOKEN not in text
    assert "api.telegram.org/bot<token>/getMe" in text
    assert "url 'https://bot-api.zaloplatforms.com/bot<token>/getUpdates'" in text  # the host stays readable
    assert "sending failed" in text and "RuntimeError" in text


def test_webhook_secret_is_redacted_at_debug(captured: io.StringIO) -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    log = logging.getLogger("telegram.ext.ExtBot")
    log.debug(
        "Calling Bot API endpoint `setWebhook` with parameters `%s`",
        {"url": "https://x/y", "secret_token": "S3cr3t_value"},
    )
    log.debug(
        '{"url": "https://x", "secret_token": "zalo-S3cr3t"} X-Telegram-Bot-Api-Secret-Token: S3cr3t_hdr'
    )
    out = captured.getvalue()
    assert "S3cr3t" not in out and out.count("<secret>") == 3
