"""Shared start-up for the CLI commands that need the application (settings, database, pack)."""

from __future__ import annotations

import sys
from typing import Any


def load_settings() -> Any:
    """Settings from the environment (and ``.env``); prints the problems and returns None if invalid."""
    from bot.config import ConfigError, Settings, load_dotenv_file

    load_dotenv_file()
    try:
        return Settings.from_env()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return None


def load_app(settings: Any = None) -> Any:
    """``build_app`` with logs on stderr; None (after printing why) when it cannot start."""
    from bot.logging_setup import setup_logging

    settings = settings or load_settings()
    if settings is None:
        return None
    setup_logging(settings.log_level if settings.log_level != "INFO" else "WARNING")
    from bot.app import build_app

    try:
        return build_app(settings)
    except Exception as exc:
        print(f"Không khởi động được: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return None
