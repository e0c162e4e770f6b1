"""A synthetic province: units, users, memberships and five years of versioned submissions.

    from bench.province import generate
    stats = generate(engine, units=700, users=100_000)

Used by ``bench/bench_scale.py`` (and small enough settings by tests). The schema must
already be at the latest migration (``bot.storage.migrations.upgrade``) and the unit,
user, membership and submission tables empty.

What it writes (deterministic for a given ``seed``):

- **units**: the knowledge pack's registry first (real names; Công an tỉnh is the standing
  office), then communes ``UBND xã …`` up to ``units``; about 1 % of the extra units
  retired (inactive);
- **users**: ``users`` people, 70 % Telegram, 30 % Zalo, 1 % inactive (blocked the bot),
  spread evenly over the active units (the standing office gets ``office_members``);
- **memberships**: one approved membership per user, plus history (ended, rejected and
  pending rows for about 1.5 % of users), as an organisation accumulates;
- **submissions**: for every year in ``years`` but the last, every active unit reported,
  in 1–4 versions; for the last year (the one whose reminders are current) only
  ``current_year_share`` of the units have reported yet.

Rows are written with Core ``INSERT``s in chunks (PostgreSQL: ``COPY``), explicit ids,
and the id sequences moved past them, so the application can add rows afterwards.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from bot.storage.models import Membership, Submission, Unit, User

CATEGORIES = ("district", "department", "socio_political", "armed_forces", "media")
SYLLABLES = [
    "An",
    "Bình",
    "Châu",
    "Đức",
    "Hòa",
    "Hưng",
    "Khánh",
    "Lâm",
    "Long",
    "Minh",
    "Nghĩa",
    "Phổ",
    "Phú",
    "Phước",
    "Sơn",
    "Tân",
    "Thạnh",
    "Thuận",
    "Tịnh",
    "Trung",
    "Xuân",
]
CHUNK = 5000


@dataclass
class ProvinceStats:
    units: int = 0
    active_units: int = 0
    users: int = 0
    memberships: int = 0
    submissions: int = 0
    office_unit_id: int = 0
    years: list[int] = field(default_factory=list)
    member_keys: list[str] = field(default_factory=list)  # one approved, active member per active unit
    seconds: float = 0.0


def _unit_names(n: int, base: Sequence[Any]) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    for u in base:
        if len(out) >= n:
            break
        name = str(u.name)
        out.append(
            (name, str(getattr(u, "category", "") or "district"), bool(getattr(u, "standing_office", False)))
        )
        seen.add(name)
    i = 0
    while len(out) < n:
        a, b = SYLLABLES[i % len(SYLLABLES)], SYLLABLES[(i // len(SYLLABLES)) % len(SYLLABLES)]
        name = f"UBND xã {b} {a} {i // (len(SYLLABLES) ** 2) + 1}"
        i += 1
        if name not in seen:
            seen.add(name)
            out.append((name, "district", False))
    if not any(office for _n, _c, office in out):
        name, cat, _ = out[0]
        out[0] = (name, cat, True)
    return out


def _answers(rng: random.Random, unit: str, year: int, version: int) -> dict[str, Any]:
    return {
        "year": year,
        "models_count": rng.randint(0, 40),
        "model_names": f"Mô hình “Tổ an ninh tự quản” của {unit}, phiên bản {version}",
        "results": "Duy trì " + ", ".join(f"mô hình {k}" for k in range(rng.randint(1, 6))) + " hiệu quả.",
        "difficulties": "Thiếu kinh phí." if rng.random() < 0.4 else None,
        "proposals": None,
        "funding": rng.randint(0, 2000) * 1_000_000 if rng.random() < 0.7 else None,
    }


def _bulk(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if engine.dialect.name == "postgresql":
        _copy(engine, table, rows)
        return
    with engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(table), rows[i : i + CHUNK])


def _copy(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY: 100,000 users in about a second instead of half a minute of INSERTs."""
    import json

    cols = list(rows[0])
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        names = ", ".join(f'"{c}"' for c in cols)
        with cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:  # type: ignore[attr-defined]
            for r in rows:
                copy.write_row(
                    [
                        json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                        for v in (r[c] for c in cols)
                    ]
                )
        raw.commit()
    finally:
        raw.close()


def _bump_sequences(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("unit", "user", "membership", "submission"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"), false)'
                )
            )


def generate(
    engine: Engine,
    *,
    units: int = 700,
    users: int = 100_000,
    years: Sequence[int] = (2021, 2022, 2023, 2024, 2025),
    current_year_share: float = 0.01,
    office_members: int = 5,
    base_units: Sequence[Any] = (),
    seed: int = 13,
) -> ProvinceStats:
    """Fill an empty schema with a province of ``units`` units and ``users`` users (see module doc)."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    stats = ProvinceStats(years=list(years))
    now = datetime(years[-1], 11, 1, tzinfo=UTC)
    unit_rows: list[dict[str, Any]] = []
    for i, (name, cat, office) in enumerate(_unit_names(units, base_units), 1):
        active = office or i <= len(base_units) or rng.random() > 0.01
        unit_rows.append(
            {
                "id": i,
                "name": name,
                "category": cat if cat in CATEGORIES else "district",
                "aliases": [],
                "standing_office": office,
                "active": active,
                "created_at": now - timedelta(days=2000),
            }
        )
        if office and not stats.office_unit_id:
            stats.office_unit_id = i
    active_ids = [u["id"] for u in unit_rows if u["active"]]
    others = [u for u in active_ids if u != stats.office_unit_id]
    stats.units, stats.active_units = len(unit_rows), len(active_ids)
    _bulk(engine, Unit.__table__, unit_rows)  # type: ignore[attr-defined]

    user_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    first_member: dict[int, str] = {}
    mid = 0
    for uid in range(1, users + 1):
        channel = "telegram" if uid % 10 < 7 else "zalo"
        ext = str(100_000_000 + uid)
        key = f"{channel}:{ext}"
        active = uid % 100 != 37
        user_rows.append(
            {
                "id": uid,
                "key": key,
                "channel": channel,
                "external_id": ext,
                "chat_id": ext,
                "display_name": f"Cán bộ {uid}",
                "active": active,
                "created_at": now - timedelta(days=uid % 1500),
                "last_seen_at": now - timedelta(days=uid % 30),
            }
        )
        unit_id = (
            stats.office_unit_id if uid <= office_members else others[(uid - office_members) % len(others)]
        )
        if uid % 67 == 0:  # history: an earlier request that ended, was rejected or is still pending
            mid += 1
            member_rows.append(
                _membership(mid, uid, rng.choice(others), rng.choice(("ended", "rejected")), now)
            )
        mid += 1
        status = "pending" if uid % 211 == 0 else "approved"
        member_rows.append(_membership(mid, uid, unit_id, status, now))
        if status == "approved" and active:
            first_member.setdefault(unit_id, key)
    stats.users, stats.memberships = len(user_rows), len(member_rows)
    stats.member_keys = [first_member[u] for u in active_ids if u in first_member]
    _bulk(engine, User.__table__, user_rows)  # type: ignore[attr-defined]
    _bulk(engine, Membership.__table__, member_rows)  # type: ignore[attr-defined]

    by_unit: dict[int, list[int]] = {}
    for m in member_rows:
        if m["status"] == "approved":
            by_unit.setdefault(m["unit_id"], []).append(m["user_id"])
    names = {u["id"]: u["name"] for u in unit_rows}
    sub_rows: list[dict[str, Any]] = []
    sid = 0
    for year in years:
        last = year == years[-1]
        for unit_id in active_ids:
            if last and rng.random() >= current_year_share:
                continue
            submitters = by_unit.get(unit_id) or [1]
            for version in range(1, (1 if last else rng.randint(1, 4)) + 1):
                sid += 1
                sub_rows.append(
                    {
                        "id": sid,
                        "unit_id": unit_id,
                        "year": year,
                        "version": version,
                        "answers": _answers(rng, names[unit_id], year, version),
                        "file_id": None,
                        "submitted_by_user_id": rng.choice(submitters),
                        "submitted_at": datetime(year, 11, 1, tzinfo=UTC)
                        + timedelta(hours=rng.randint(0, 1200)),
                    }
                )
    stats.submissions = len(sub_rows)
    _bulk(engine, Submission.__table__, sub_rows)  # type: ignore[attr-defined]
    _bump_sequences(engine)
    stats.seconds = time.perf_counter() - t0
    return stats


def _membership(mid: int, uid: int, unit_id: int, status: str, now: datetime) -> dict[str, Any]:
    return {
        "id": mid,
        "user_id": uid,
        "unit_id": unit_id,
        "status": status,
        "via_invite": None,
        "requested_at": now - timedelta(days=400),
        "decided_at": None if status == "pending" else now - timedelta(days=399),
        "decided_by": None if status == "pending" else "telegram:1",
    }
