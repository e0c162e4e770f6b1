"""A submission stored by a turn that is then processed again (crash before the turn's commit) is not
stored twice: it is keyed by the turn's inbox row (bot/durable/effects.py)."""

from __future__ import annotations

from typing import Any

from bot.durable.turn import CURRENT, Turn
from tests.fakes.chat import ChatDriver


async def test_submission_is_idempotent_per_turn(chat: ChatDriver, app: Any) -> None:
    await chat.register("lan", "Sở Y tế")
    store = app.store
    user = store.get_user("console:lan")
    unit = store.approved_unit(user.id)
    token = CURRENT.set(Turn(inbox_id=1, key="telegram:4242", user_key="console:lan"))
    try:
        first = store.submit(unit_id=unit.id, year=2024, answers={"a": 1}, user_id=user.id, actor="x")
        again = store.submit(unit_id=unit.id, year=2024, answers={"a": 1}, user_id=user.id, actor="x")
    finally:
        CURRENT.reset(token)
    assert again.id == first.id and again.version == 1
    other = store.submit(unit_id=unit.id, year=2024, answers={"a": 2}, user_id=user.id, actor="x")
    assert other.version == 2  # outside that turn: a new version as before
    assert len(store.submissions(unit.id, 2024)) == 2
