"""The environment variables, validated declaratively (pydantic-settings), with Vietnamese messages
that name the variable.  :meth:`bot.config.Settings.from_env` turns the result into ``Settings``.

Each field is one variable, spelled as the operator writes it.  A field validator raises
``ValueError`` with the Vietnamese reason; :func:`env_errors` prefixes it with the variable's name
(pydantic's own messages, for a wrong type, are mapped to Vietnamese).  Checks that involve several
variables or the file system are in :meth:`EnvSettings.cross_checks`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.storage.db import DEFAULT_DATABASE_URL

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TELEGRAM_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,200}$")
_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg", "postgres")


def _stripped(v: Any) -> Any:
    return v.strip() if isinstance(v, str) else v


class EnvSettings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", env_ignore_empty=True)

    DATABASE_URL: str = DEFAULT_DATABASE_URL
    BOT_ADMINS: str = ""
    KNOWLEDGE_PACK: str = ""
    FILES_DIR: str = "./data/files"
    MAX_ATTACHMENT_MB: int = Field(10, ge=1)
    LOG_LEVEL: str = "INFO"
    TELEGRAM_BOT_TOKEN: str = Field("", repr=False)
    TELEGRAM_API_URL: str = "https://api.telegram.org"
    TELEGRAM_WEBHOOK_URL: str = ""
    TELEGRAM_WEBHOOK_SECRET: str = Field("", repr=False)
    TELEGRAM_RATE_LIMIT: int = Field(30, ge=1)
    ZALO_BOT_TOKEN: str = Field("", repr=False)
    ZALO_API_URL: str = "https://bot-api.zaloplatforms.com"
    ZALO_WEBHOOK_URL: str = ""
    ZALO_WEBHOOK_SECRET: str = Field("", repr=False)
    ZALO_RATE_LIMIT: int = Field(30, ge=1)
    WEBHOOK_LISTEN: str = ""
    INSTANCE_ID: str = ""
    WEB_LISTEN: str = ""  # the standing office's pages (bot/web/)
    WEB_BASE_URL: str = ""
    DB_WORKERS: int = Field(8, ge=1, le=256)  # bot/storage/executor.py
    DB_HEAVY_WORKERS: int = Field(1, ge=1, le=64)
    DB_TIMEOUT: int = Field(20, ge=1)  # seconds
    DB_HEAVY_TIMEOUT: int = Field(60, ge=1)

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return _stripped(v)

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, v: str) -> str:
        v = v or DEFAULT_DATABASE_URL
        scheme, sep, _rest = v.partition("://")
        if not sep or scheme.lower() not in _SCHEMES:
            raise ValueError(
                "phải có dạng sqlite:///đường/dẫn/bot.db hoặc postgresql://người_dùng@máy/csdl "
                f"(đang là {v!r})."
            )
        if scheme.startswith("postgres") and not urlsplit(v).hostname and "host=" not in v:
            raise ValueError(
                f"thiếu tên máy chủ PostgreSQL, ví dụ postgresql://postgres@127.0.0.1/bot (đang là {v!r})."
            )
        try:
            from sqlalchemy.engine import make_url

            make_url(v)
        except Exception as exc:
            raise ValueError(f"không đọc được ({exc.__class__.__name__}): {v!r}.") from exc
        return v

    @field_validator("LOG_LEVEL")
    @classmethod
    def _log_level(cls, v: str) -> str:
        level = (v or "INFO").upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"phải là một trong {', '.join(LOG_LEVELS)} (đang là {v!r}).")
        return level

    @field_validator("TELEGRAM_BOT_TOKEN")
    @classmethod
    def _telegram_token(cls, v: str) -> str:
        if v and not _TELEGRAM_TOKEN.fullmatch(v):
            raise ValueError("không đúng dạng SỐ:CHUỖI mà BotFather cấp (ví dụ 123456789:AAE…).")
        return v

    @field_validator("TELEGRAM_API_URL", "ZALO_API_URL", "TELEGRAM_WEBHOOK_URL", "ZALO_WEBHOOK_URL")
    @classmethod
    def _url(cls, v: str) -> str:
        if v and urlsplit(v).scheme not in ("http", "https"):
            raise ValueError(f"phải là URL http(s)://… (đang là {v!r}).")
        return v.rstrip("/")

    @field_validator("BOT_ADMINS")
    @classmethod
    def _admins(cls, v: str) -> str:
        for a in (x.strip() for x in v.split(",")):
            if a and (":" not in a or not a.split(":", 1)[1]):
                raise ValueError(f"'{a}' phải có dạng kênh:id, ví dụ telegram:123456.")
        return v

    @field_validator("WEBHOOK_LISTEN")
    @classmethod
    def _listen(cls, v: str) -> str:
        host, _, port = v.rpartition(":")
        if v and (not host or not port.isdigit()):
            raise ValueError(f"phải có dạng host:port (đang là {v!r}).")
        return v

    @field_validator("WEB_LISTEN")
    @classmethod
    def _web_listen(cls, v: str) -> str:
        host, _, port = v.rpartition(":")
        if v and (not host or not port.isdigit() or int(port) > 65535):
            raise ValueError(f"phải có dạng host:port, ví dụ 127.0.0.1:8080 (đang là {v!r}).")
        return v

    @field_validator("WEB_BASE_URL")
    @classmethod
    def _web_base_url(cls, v: str) -> str:
        if v and urlsplit(v).scheme not in ("http", "https"):
            raise ValueError(f"phải là URL http(s)://…, ví dụ https://bcd138.example.gov.vn (đang là {v!r}).")
        return v.rstrip("/")

    def admins(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.BOT_ADMINS.split(",") if a.strip())

    def cross_checks(self) -> list[str]:
        errors = self._webhook_errors()
        if self.WEB_LISTEN and self.WEBHOOK_LISTEN and self.WEB_LISTEN != self.WEBHOOK_LISTEN:
            errors.append(
                "WEB_LISTEN và WEBHOOK_LISTEN phải trùng nhau: "
                "trang web và webhook dùng chung một máy chủ HTTP."
            )
        return errors

    def _webhook_errors(self) -> list[str]:
        errors = []
        if self.TELEGRAM_WEBHOOK_URL and not self.TELEGRAM_BOT_TOKEN:
            errors.append("TELEGRAM_WEBHOOK_URL được đặt nhưng thiếu TELEGRAM_BOT_TOKEN.")
        if self.TELEGRAM_WEBHOOK_URL and not self.TELEGRAM_WEBHOOK_SECRET:
            errors.append(
                "Chế độ webhook Telegram cần TELEGRAM_WEBHOOK_SECRET (1–256 ký tự A-Z a-z 0-9 _ -)."
            )
        secret = self.TELEGRAM_WEBHOOK_SECRET
        if secret and (
            not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret) or not 1 <= len(secret) <= 256
        ):
            errors.append("TELEGRAM_WEBHOOK_SECRET chỉ gồm 1–256 ký tự A-Z a-z 0-9 _ -.")
        if self.ZALO_WEBHOOK_URL and not self.ZALO_BOT_TOKEN:
            errors.append("ZALO_WEBHOOK_URL được đặt nhưng thiếu ZALO_BOT_TOKEN.")
        if self.ZALO_WEBHOOK_URL and not 8 <= len(self.ZALO_WEBHOOK_SECRET) <= 256:
            errors.append("Chế độ webhook Zalo cần ZALO_WEBHOOK_SECRET dài 8–256 ký tự.")
        return errors


def path_errors(env: dict[str, str]) -> list[str]:
    """The database folder (SQLite) and ``FILES_DIR`` must be writable folders (or creatable as such)."""
    errors = []
    db_folder = _sqlite_folder((env.get("DATABASE_URL") or "").strip() or DEFAULT_DATABASE_URL)
    if db_folder is not None:
        errors += [f"DATABASE_URL: {e}" for e in folder_problems(db_folder, "thư mục dữ liệu")]
    files = Path((env.get("FILES_DIR") or "").strip() or "./data/files").expanduser()
    errors += [f"FILES_DIR: {e}" for e in folder_problems(files, "thư mục tệp đính kèm")]
    return errors


def _sqlite_folder(url: str) -> Path | None:
    if not url.lower().startswith("sqlite"):
        return None
    path = url.split("://", 1)[1].removeprefix("/")
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path).expanduser().parent


def folder_problems(folder: Path, what: str) -> list[str]:
    """Why ``folder`` cannot hold our files (not a folder, not writable), without creating it."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        return [f"{probe} không phải thư mục ({what} {folder})."]
    if not os.access(probe, os.W_OK | os.X_OK):
        return [f"không ghi được vào {probe} ({what} {folder}): kiểm tra quyền hoặc đổi đường dẫn."]
    return []


_PYDANTIC_VI = {
    "int_parsing": "phải là số nguyên",
    "greater_than_equal": "phải ≥ {ge}",
    "string_type": "phải là chuỗi",
}


def env_errors(exc: ValidationError) -> list[str]:
    """pydantic's errors as Vietnamese lines naming the variable (``MAX_ATTACHMENT_MB phải là số nguyên``)."""
    lines = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else "?"
        if err["type"] == "value_error":
            why = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {why}")
            continue
        template = _PYDANTIC_VI.get(err["type"], str(err["msg"]))
        why = template.format(**(err.get("ctx") or {}))
        lines.append(f"{name} {why} (đang là {err.get('input')!r}).")
    return lines
