"""Alembic migrations: they build exactly the models' schema, from any working directory, concurrently."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import bot.storage.models  # noqa: F401  (registers every table)
from bot.storage import migrations
from bot.storage.db import make_engine

REPO = Path(__file__).resolve().parent.parent


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert migrations.current(engine) is None
        migrations.upgrade(engine)
        assert migrations.current(engine) == migrations.head()
        tables = set(inspect(engine).get_table_names())
        assert set(SQLModel.metadata.tables) <= tables
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
            )
        assert diff == [], f"models and migrations differ; add a migration: {diff}"
        migrations.upgrade(engine)  # idempotent
        migrations.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrations.upgrade(engine)
        assert migrations.current(engine) == migrations.head()
    finally:
        engine.dispose()


def test_concurrent_upgrades_are_serialized(db_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        engine = make_engine(db_url)
        try:
            barrier.wait()
            migrations.upgrade(engine)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    engine = make_engine(db_url)
    try:
        assert migrations.current(engine) == migrations.head()
    finally:
        engine.dispose()


def test_db_command_works_outside_the_repository(db_url: str, tmp_path: Path) -> None:
    """The script location is inside the package: no alembic.ini in the working directory is needed."""
    env = {**os.environ, "DATABASE_URL": db_url}
    env.pop("PYTHONPATH", None)
    run = [sys.executable, "-m", "bot.cli", "db"]
    r = subprocess.run([*run, "current"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 0 and "chưa có bảng" in r.stdout, r.stderr
    r = subprocess.run([*run, "upgrade"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    assert migrations.head() in r.stdout
    r = subprocess.run([*run, "current"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert "mới nhất" in r.stdout
    assert not (tmp_path / "alembic.ini").exists()


def test_sqlite_default_file_is_created_on_first_run(tmp_path: Path) -> None:
    from bot.app import build_app
    from bot.config import Settings

    url = f"sqlite:///{tmp_path / 'nested' / 'data' / 'bot.db'}"
    app = build_app(Settings(database_url=url, files_dir=str(tmp_path / "files")))
    try:
        assert (tmp_path / "nested" / "data" / "bot.db").is_file()
        assert migrations.current(app.engine) == migrations.head()
        with app.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        app.close()
