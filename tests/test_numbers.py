"""Document number recognition: known vs unknown numbers, years, dates and other numbers are not documents."""

from __future__ import annotations

import pytest

from knowledge.numbers import NumberRecognizer

REC = NumberRecognizer(["5500", "1395", "1790"], ["138", "2016", "2019", "2020", "2021", "2025"])


def nums(text: str) -> list[tuple[str, bool]]:
    return [(d.number, d.known) for d in REC.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ai ký công văn 5500/UBND-NC?", [("5500", True)]),
        ("QĐ 1790 ngày bao nhiêu", [("1790", True)]),
        ("Quyết định số 1395/QĐ-UBND ban hành kế hoạch gì?", [("1395", True)]),
        ("1395 và 1790 khác nhau thế nào", [("1395", True), ("1790", True)]),
        ("Quyết định 999/QĐ-UBND quy định gì", [("999", False)]),
        ("Công văn 6000 ban hành ngày nào", [("6000", False)]),
        ("Văn bản số 1234 nói gì", [("1234", False)]),
        ("1234", [("1234", False)]),
        ("Quyết định 2001/QĐ-UBND", [("2001", False)]),
        ("Nghị định 100 xử phạt", [("100", False)]),
        ("Chỉ thị 15 về giãn cách", [("15", False)]),
    ],
)
def test_document_numbers(text: str, expected: list[tuple[str, bool]]) -> None:
    assert nums(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "kinh phí năm 2023",
        "giai đoạn 2021 - 2025",
        "Kế hoạch giai đoạn 2016 - 2020",
        "QĐ ngày 22/11/2019",
        "ngày 03/8/2016",
        "Ban Chỉ đạo 138 tỉnh",
        "Tuyển sinh lớp 10",
        "báo cáo 1 lần",
    ],
)
def test_not_document_numbers(text: str) -> None:
    assert nums(text) == []


def test_unknown_number_never_fuzzy_matched_to_a_known_one() -> None:
    # 5501 and 1359 are close to known numbers but are different documents
    assert nums("công văn 5501") == [("5501", False)]
    assert nums("quyết định 1359") == [("1359", False)]
