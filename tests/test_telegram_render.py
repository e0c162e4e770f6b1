"""Rendering core replies for Telegram: escaping, splitting, keyboards, callback tokens."""

from __future__ import annotations

import pytest

from bot.channels.telegram_render import (
    MAX_TEXT,
    CallbackTokens,
    button_label,
    chosen_text,
    escape,
    keyboard_rows,
    plan_reply,
    split_reply,
    split_text,
)
from bot.messages import Choice, OutFile, Reply
from tests.fakes.telegram_html import parse_html


@pytest.mark.parametrize(
    "text",
    [
        "a < b & c > d",
        "<b>không phải thẻ</b>",
        "&lt; đã là thực thể &amp;",
        "Kinh phí: 1.500.000 đồng; tỷ lệ 5% <= 10%",
        "\"ngoặc kép\" và 'đơn'",
        "😀 emoji & <tg-spoiler>",
    ],
)
def test_escaped_text_parses_back_to_itself_under_strict_telegram_html(text):
    plain, entities = parse_html(escape(text), strict=True)
    assert plain == text and entities == []


def test_split_keeps_short_text_whole_and_strips():
    assert split_text("  xin chào \n") == ["xin chào"]
    assert split_text("   ") == []


def test_split_at_paragraphs_then_lines_then_spaces():
    paras = ["A" * 3000, "B" * 3000, "C" * 100]
    assert split_text("\n\n".join(paras)) == ["A" * 3000, "B" * 3000 + "\n\n" + "C" * 100]
    lines = "\n".join(["dòng " * 100] * 20)  # no paragraph break at all
    chunks = split_text(lines)
    assert all(len(c) <= MAX_TEXT for c in chunks) and len(chunks) == 3
    assert all(not c.endswith("\n") for c in chunks)
    words = "từ " * 3000
    chunks = split_text(words)
    assert all(len(c) <= MAX_TEXT for c in chunks)
    assert " ".join(chunks).split() == words.split()  # no word cut in half


def test_split_hard_cuts_a_text_without_any_break():
    blob = "x" * (MAX_TEXT * 2 + 5)
    chunks = split_text(blob)
    assert [len(c) for c in chunks] == [MAX_TEXT, MAX_TEXT, 5]


def test_callback_tokens_for_values_over_64_bytes():
    tokens = CallbackTokens(capacity=3)
    assert tokens.data_for("u:12") == "u:12"
    long_value = "f:" + "ư" * 40  # 82 bytes
    data = tokens.data_for(long_value)
    assert data != long_value and len(data.encode()) <= 64
    assert tokens.data_for(long_value) == data  # stable
    assert tokens.resolve(data) == long_value
    assert tokens.resolve("u:12") == "u:12"
    # a value that looks like a token is never passed through raw
    tricky = tokens.data_for("~abc")
    assert tricky != "~abc" and tokens.resolve(tricky) == "~abc"
    assert tokens.data_for("") != ""  # empty callback data is invalid too
    # bounded: the oldest tokens are forgotten, and resolve to None (expired)
    for i in range(5):
        tokens.data_for("v" * 70 + str(i))
    assert tokens.resolve(data) is None


def test_keyboard_layout_and_labels():
    tokens = CallbackTokens()
    rows = keyboard_rows([Choice("Có", "y"), Choice("Không", "n")], tokens)
    assert rows == [[("Có", "y"), ("Không", "n")]]
    long = [Choice("Ủy ban nhân dân huyện Sơn Tịnh, tỉnh Quảng Ngãi", f"u:{i}") for i in range(3)]
    assert [len(r) for r in keyboard_rows(long, tokens)] == [1, 1, 1]
    assert len(button_label("x" * 200)) == 60
    assert button_label("  a \n b ") == "a b"


def test_plan_reply_puts_keyboard_on_last_chunk_and_files_after():
    tokens = CallbackTokens()
    text = "\n\n".join(["đoạn <1> " * 300, "đoạn &2 " * 300])
    reply = Reply(text, [Choice("OK", "ok")], [OutFile("tong-hop.xlsx", b"PK")])
    parts = plan_reply(reply, tokens)
    assert [p.keyboard is not None for p in parts] == [False, True, False]
    assert parts[-1].file is not None and parts[-1].html == ""
    assert "&lt;1&gt;" in parts[0].html and "&amp;2" in parts[1].html
    pieces = split_reply(reply)
    assert [bool(p.choices) for p in pieces] == [False, True, False]
    assert [len(p.files) for p in pieces] == [0, 0, 1]
    # choices without text still get a prompt (Telegram refuses an empty text)
    (only,) = plan_reply(Reply("", [Choice("A", "a")]), tokens)
    assert only.html and only.keyboard == [[("A", "a")]]
    assert plan_reply(Reply(""), tokens) == []


def test_chosen_text_appends_escaped_label_or_gives_up_when_too_long():
    assert chosen_text("Chọn đơn vị:", "Sở <Y> tế") == "Chọn đơn vị:\n\n✅ Sở &lt;Y&gt; tế"
    assert chosen_text("x" * 4090, "Sở Y tế") is None
