"""Shared fixtures.

- ``db_url``: a fresh, empty database, parametrized over a SQLite file and the
  PostgreSQL server at 127.0.0.1:5432 (each test gets its own schema there, dropped
  afterwards; skipped with the reason when the server is unreachable).
- ``sqlite_url``: SQLite only, for tests where the backend does not matter.
- ``pack`` / ``qa_engine``: the default knowledge pack, loaded once per session.
- ``clock``: a :class:`tests.fakes.chat.FakeClock` (15/06/2025 09:00 local).
- ``settings``, ``app``: ``build_app`` on ``db_url`` with ``console:admin`` as admin.
- ``chat``: a :class:`tests.fakes.chat.ChatDriver` on ``app``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.chat import ChatDriver, FakeClock

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ADMIN = "admin"  # console user id of the admin in the app fixture (user key console:admin)

_pg_problem: str | None = None
_pg_checked = False


def postgres_unavailable() -> str | None:
    """None when PostgreSQL answers, else why not (checked once per session)."""
    global _pg_checked, _pg_problem
    if not _pg_checked:
        _pg_checked = True
        try:
            import psycopg

            conninfo = PG_URL.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(conninfo, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
        except Exception as exc:  # any failure means: skip, and say why
            _pg_problem = f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}: {exc}".strip()
    return _pg_problem


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema (search_path set through the URL), dropped after the test."""
    problem = postgres_unavailable()
    if problem:
        pytest.skip(problem)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    conninfo = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def pack() -> Any:
    from knowledge import load_pack

    return load_pack()


@pytest.fixture(scope="session")
def qa_engine(pack: Any) -> Any:
    from knowledge import QAEngine

    return QAEngine(pack)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(db_url: str, tmp_path: Any) -> Any:
    from bot.config import Settings

    return Settings(
        database_url=db_url,
        admins=frozenset({f"console:{ADMIN}"}),
        files_dir=str(tmp_path / "files"),
        max_attachment_bytes=1024 * 1024,
    )


@pytest.fixture
def app(settings: Any, clock: FakeClock, pack: Any, qa_engine: Any) -> Iterator[Any]:
    from bot.app import build_app

    application = build_app(settings, clock=clock, pack=pack, qa=qa_engine)
    try:
        yield application
    finally:
        application.close()


@pytest.fixture
def chat(app: Any) -> ChatDriver:
    return ChatDriver(app)
