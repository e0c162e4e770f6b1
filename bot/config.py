"""Configuration from environment variables (and an optional ``.env``), validated at start-up.

``Settings.from_env()`` raises :class:`ConfigError` with a clear, complete message
listing every problem; the CLI prints it and exits with status 2.  Tokens are kept
out of ``repr`` so they never reach a log.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from bot.storage.db import DEFAULT_DATABASE_URL

TIMEZONE = "Asia/Ho_Chi_Minh"


class ConfigError(ValueError):
    """Invalid or missing configuration; the message says what to fix."""


def load_dotenv_file(path: str | os.PathLike[str] = ".env") -> None:
    """Load ``.env`` if present; real environment variables win."""
    if Path(path).is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


REPORT_VARIABLES = {  # environment variable -> key of the compiled report's letterhead (bot/report/)
    "REPORT_ISSUER": "issuer",
    "REPORT_PARENT": "parent",
    "REPORT_PLACE": "place",
    "REPORT_SYMBOL": "symbol",
    "REPORT_SIGNER_TITLE": "signer_title",
    "REPORT_SIGNER_NAME": "signer_name",
}


def report_settings(get: Callable[[str], str], errors: list[str]) -> tuple[tuple[str, str], ...]:
    """The REPORT_* variables that are set; one line of at most 200 characters each."""
    out: dict[str, str] = {}
    for name, key in REPORT_VARIABLES.items():
        value = get(name)
        if not value:
            continue
        if len(value) > 200 or any(ord(c) < 32 for c in value):
            errors.append(f"{name} phải là một dòng, tối đa 200 ký tự.")
            continue
        out[key] = value
    return tuple(out.items())


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    admins: frozenset[str] = frozenset()
    knowledge_pack: str = ""  # folder; empty = the packaged 5500-UBND-NC pack
    files_dir: str = "./data/files"
    max_attachment_bytes: int = 10 * 1024 * 1024
    log_level: str = "INFO"
    telegram_token: str = field(default="", repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = field(default="", repr=False)
    telegram_rate: int = 30
    zalo_token: str = field(default="", repr=False)
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_url: str = ""
    zalo_webhook_secret: str = field(default="", repr=False)
    zalo_rate: int = 30
    webhook_listen: str = ""  # host:port; default derived from the webhook URLs
    instance_id: str = ""
    db_workers: int = 8  # threads for ordinary database work (bot/storage/executor.py)
    db_heavy_workers: int = 1  # threads for exports, overviews, broadcasts, reports
    db_timeout: float = 20.0  # seconds before an ordinary request gets "hệ thống đang bận"
    db_heavy_timeout: float = 60.0
    # The compiled report's letterhead (bot/report/); empty = the pack's compiled_report.yaml default.
    report: tuple[tuple[str, str], ...] = ()  # (key, value) pairs: Settings stays hashable
    web_listen: str = ""  # host:port of the standing office's pages (served by the one HTTP server)
    web_base_url: str = ""  # the pages' public base URL in login links; default http://WEB_LISTEN

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, *, check_paths: bool = True) -> Settings:
        """Validate the environment (pydantic-settings, :mod:`bot.settings_env`) and build the settings;
        :class:`ConfigError` lists every problem in Vietnamese, each naming its variable.  ``check_paths``:
        also check that the database folder and ``FILES_DIR`` are (or can be created as) writable folders."""
        from bot.settings_env import EnvSettings, env_errors, path_errors

        e = dict(os.environ if env is None else env)
        errors: list[str] = []
        raw: EnvSettings | None = None
        try:
            raw = EnvSettings() if env is None else EnvSettings.model_validate(e)
            errors += raw.cross_checks()
        except ValidationError as exc:
            errors += env_errors(exc)
        report = report_settings(lambda name: e.get(name, "").strip(), errors)
        if check_paths:
            errors += path_errors(e)
        if errors or raw is None:
            raise ConfigError("Cấu hình không hợp lệ:\n- " + "\n- ".join(errors))
        return cls(
            database_url=raw.DATABASE_URL,
            admins=raw.admins(),
            knowledge_pack=raw.KNOWLEDGE_PACK,
            files_dir=raw.FILES_DIR,
            max_attachment_bytes=raw.MAX_ATTACHMENT_MB * 1024 * 1024,
            log_level=raw.LOG_LEVEL,
            telegram_token=raw.TELEGRAM_BOT_TOKEN,
            telegram_api_url=raw.TELEGRAM_API_URL,
            telegram_webhook_url=raw.TELEGRAM_WEBHOOK_URL,
            telegram_webhook_secret=raw.TELEGRAM_WEBHOOK_SECRET,
            telegram_rate=raw.TELEGRAM_RATE_LIMIT,
            zalo_token=raw.ZALO_BOT_TOKEN,
            zalo_api_url=raw.ZALO_API_URL,
            zalo_webhook_url=raw.ZALO_WEBHOOK_URL,
            zalo_webhook_secret=raw.ZALO_WEBHOOK_SECRET,
            zalo_rate=raw.ZALO_RATE_LIMIT,
            webhook_listen=raw.WEBHOOK_LISTEN,
            instance_id=raw.INSTANCE_ID,
            web_listen=raw.WEB_LISTEN,
            web_base_url=raw.WEB_BASE_URL,
            db_workers=raw.DB_WORKERS,
            db_heavy_workers=raw.DB_HEAVY_WORKERS,
            db_timeout=float(raw.DB_TIMEOUT),
            db_heavy_timeout=float(raw.DB_HEAVY_TIMEOUT),
            report=report,
        )

    def is_admin(self, user_key: str) -> bool:
        return user_key in self.admins

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def zalo_enabled(self) -> bool:
        return bool(self.zalo_token)

    def listen_address(self) -> tuple[str, int] | None:
        """Where the one HTTP server listens: WEBHOOK_LISTEN, else WEB_LISTEN, else the first webhook
        URL's host:port."""
        if self.webhook_listen or self.web_listen:
            host, _, port_text = (self.webhook_listen or self.web_listen).rpartition(":")
            return host.strip("[]"), int(port_text)
        for url in (self.telegram_webhook_url, self.zalo_webhook_url):
            if url:
                parts = urlsplit(url)
                port = parts.port or (443 if parts.scheme == "https" else 80)
                return parts.hostname or "127.0.0.1", port
        return None
