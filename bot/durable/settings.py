"""Settings of the durable machinery, from the environment, validated with Vietnamese messages."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bot.config import ConfigError


@dataclass(frozen=True, slots=True)
class DurableSettings:
    shutdown_grace: float = 10.0  # SHUTDOWN_GRACE_SECONDS: drain inbox and outbox for at most this long
    inbox_lease: float = 30.0  # INBOX_LEASE_SECONDS: a dead instance's rows are taken again after this
    workers: int = 32  # INBOX_WORKERS: updates processed at once by one instance (different users)
    db_wait: float = 30.0  # DB_CONNECT_TIMEOUT_SECONDS: `run` retries an unreachable database this long
    upload_retention_days: float = 7.0  # UPLOAD_RETENTION_DAYS: files of forms never confirmed
    upload_quota_mb: int = 50  # UPLOAD_QUOTA_MB: per user per 24 hours

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> DurableSettings:
        e = os.environ if env is None else env
        errors: list[str] = []

        def number(name: str, default: float, minimum: float) -> float:
            raw = (e.get(name) or "").strip().replace(",", ".")
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                errors.append(f"{name} phải là một số (đang là {raw!r}).")
                return default
            if value < minimum:
                errors.append(f"{name} phải ≥ {minimum:g}.")
                return default
            return value

        d = cls()
        s = cls(
            shutdown_grace=number("SHUTDOWN_GRACE_SECONDS", d.shutdown_grace, 0),
            inbox_lease=number("INBOX_LEASE_SECONDS", d.inbox_lease, 1),
            workers=int(number("INBOX_WORKERS", d.workers, 1)),
            db_wait=number("DB_CONNECT_TIMEOUT_SECONDS", d.db_wait, 0),
            upload_retention_days=number("UPLOAD_RETENTION_DAYS", d.upload_retention_days, 0),
            upload_quota_mb=int(number("UPLOAD_QUOTA_MB", d.upload_quota_mb, 1)),
        )
        if errors:
            raise ConfigError("Cấu hình không hợp lệ:\n- " + "\n- ".join(errors))
        return s


def current() -> DurableSettings:
    """From the environment; defaults when a value is invalid (``run`` validates at start-up)."""
    try:
        return DurableSettings.from_env()
    except ConfigError:
        return DurableSettings()
