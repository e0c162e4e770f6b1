"""VND amounts as officials type them."""

from __future__ import annotations

import pytest

from bot.money import MoneyError, format_vnd, parse_vnd


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150 triệu", 150_000_000),
        ("150 trieu", 150_000_000),
        ("150tr", 150_000_000),
        ("1,5 tỷ", 1_500_000_000),
        ("1.5 tỷ", 1_500_000_000),
        ("1,5 ty", 1_500_000_000),
        ("2 tỷ 500 triệu", 2_500_000_000),
        ("150.000.000", 150_000_000),
        ("150,000,000", 150_000_000),
        ("150 000 000", 150_000_000),
        ("150000000", 150_000_000),
        ("150000000 đồng", 150_000_000),
        ("150.000.000 VNĐ", 150_000_000),
        ("VND 150.000.000", 150_000_000),
        ("150.000đ", 150_000),
        ("500 nghìn", 500_000),
        ("500 ngàn", 500_000),
        ("500k", 500_000),
        ("1.500 triệu", 1_500_000_000),
        ("1,2 triệu đồng", 1_200_000),
        ("0", 0),
        ("  75 TRIỆU  ", 75_000_000),
    ],
)
def test_accepted_forms(text: str, expected: int) -> None:
    assert parse_vnd(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "Chưa nhập"),
        ("   ", "Chưa nhập"),
        ("-150 triệu", "âm"),
        ("âm 5 triệu", "âm"),
        ("một trăm triệu", "Không đọc được"),
        ("🙂🙂", "Không đọc được"),
        ("150 đô", "đơn vị"),
        ("1.50.0", "Không đọc được"),
        ("5 triệu 2 tỷ", "thứ tự"),
        ("9" * 30, "quá lớn"),
    ],
)
def test_rejected_with_a_vietnamese_reason(text: str, why: str) -> None:
    with pytest.raises(MoneyError) as exc:
        parse_vnd(text)
    assert why in str(exc.value)


def test_format_vnd_uses_dots_for_thousands() -> None:
    assert format_vnd(1_500_000_000) == "1.500.000.000 đồng"
    assert format_vnd(0) == "0 đồng"
    assert parse_vnd(format_vnd(123_456_789)) == 123_456_789
