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
    # The compiled report's letterhead (bot/report/); empty = the pack's compiled_report.yaml default.
    report: tuple[tuple[str, str], ...] = ()  # (key, value) pairs: Settings stays hashable

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        errors: list[str] = []

        def get(name: str, default: str = "") -> str:
            return e.get(name, default).strip()

        def integer(name: str, default: int, minimum: int = 1) -> int:
            raw = get(name)
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                errors.append(f"{name} phải là số nguyên (đang là {raw!r}).")
                return default
            if value < minimum:
                errors.append(f"{name} phải ≥ {minimum}.")
            return value

        admins = frozenset(a.strip() for a in get("BOT_ADMINS").split(",") if a.strip())
        for a in admins:
            if ":" not in a or not a.split(":", 1)[1]:
                errors.append(f"BOT_ADMINS: '{a}' phải có dạng kênh:id, ví dụ telegram:123456.")

        s = cls(
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            admins=admins,
            knowledge_pack=get("KNOWLEDGE_PACK"),
            files_dir=get("FILES_DIR") or "./data/files",
            max_attachment_bytes=integer("MAX_ATTACHMENT_MB", 10) * 1024 * 1024,
            log_level=(get("LOG_LEVEL") or "INFO").upper(),
            telegram_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_api_url=(get("TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/"),
            telegram_webhook_url=get("TELEGRAM_WEBHOOK_URL"),
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_rate=integer("TELEGRAM_RATE_LIMIT", 30),
            zalo_token=get("ZALO_BOT_TOKEN"),
            zalo_api_url=(get("ZALO_API_URL") or "https://bot-api.zaloplatforms.com").rstrip("/"),
            zalo_webhook_url=get("ZALO_WEBHOOK_URL"),
            zalo_webhook_secret=get("ZALO_WEBHOOK_SECRET"),
            zalo_rate=integer("ZALO_RATE_LIMIT", 30),
            webhook_listen=get("WEBHOOK_LISTEN"),
            instance_id=get("INSTANCE_ID"),
            report=report_settings(get, errors),
        )

        for name, url in (
            ("TELEGRAM_API_URL", s.telegram_api_url),
            ("ZALO_API_URL", s.zalo_api_url),
            ("TELEGRAM_WEBHOOK_URL", s.telegram_webhook_url),
            ("ZALO_WEBHOOK_URL", s.zalo_webhook_url),
        ):
            if url and urlsplit(url).scheme not in ("http", "https"):
                errors.append(f"{name} phải là URL http(s)://… (đang là {url!r}).")
        if s.telegram_webhook_url and not s.telegram_token:
            errors.append("TELEGRAM_WEBHOOK_URL được đặt nhưng thiếu TELEGRAM_BOT_TOKEN.")
        if s.telegram_webhook_url and not s.telegram_webhook_secret:
            errors.append(
                "Chế độ webhook Telegram cần TELEGRAM_WEBHOOK_SECRET (1–256 ký tự A-Z a-z 0-9 _ -)."
            )
        if s.telegram_webhook_secret:
            ok = all(c.isascii() and (c.isalnum() or c in "_-") for c in s.telegram_webhook_secret)
            if not ok or not 1 <= len(s.telegram_webhook_secret) <= 256:
                errors.append("TELEGRAM_WEBHOOK_SECRET chỉ gồm 1–256 ký tự A-Z a-z 0-9 _ -.")
        if s.zalo_webhook_url and not s.zalo_token:
            errors.append("ZALO_WEBHOOK_URL được đặt nhưng thiếu ZALO_BOT_TOKEN.")
        if s.zalo_webhook_url and not 8 <= len(s.zalo_webhook_secret) <= 256:
            errors.append("Chế độ webhook Zalo cần ZALO_WEBHOOK_SECRET dài 8–256 ký tự.")
        if s.webhook_listen:
            host, _, port = s.webhook_listen.rpartition(":")
            if not host or not port.isdigit():
                errors.append(f"WEBHOOK_LISTEN phải có dạng host:port (đang là {s.webhook_listen!r}).")
        if errors:
            raise ConfigError("Cấu hình không hợp lệ:\n- " + "\n- ".join(errors))
        return s

    def is_admin(self, user_key: str) -> bool:
        return user_key in self.admins

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def zalo_enabled(self) -> bool:
        return bool(self.zalo_token)

    def listen_address(self) -> tuple[str, int] | None:
        """Where the one HTTP server listens: WEBHOOK_LISTEN, else the first webhook URL's host:port."""
        if self.webhook_listen:
            host, _, port = self.webhook_listen.rpartition(":")
            return host.strip("[]"), int(port)
        for url in (self.telegram_webhook_url, self.zalo_webhook_url):
            if url:
                parts = urlsplit(url)
                port = parts.port or (443 if parts.scheme == "https" else 80)
                return parts.hostname or "127.0.0.1", port
        return None
