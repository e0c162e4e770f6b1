"""Unit recognition: in questions (exact spans on normalized tokens) and as names (fuzzy ranking)."""

from __future__ import annotations

import pytest

from knowledge.normalize import tokens
from knowledge.units import UnitMatcher


@pytest.fixture(scope="module")
def matcher(pack) -> UnitMatcher:  # type: ignore[no-untyped-def]
    return UnitMatcher(pack.units)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("Huyện Bình Sơn áp dụng kinh phí theo đâu?", "UBND huyện Bình Sơn"),
        ("huyen binh son", "UBND huyện Bình Sơn"),
        ("UBND TP Quảng Ngãi", "UBND thành phố Quảng Ngãi"),
        ("TX Đức Phổ", "UBND thị xã Đức Phổ"),
        ("So KH&DT dung kinh phi nao", "Sở Kế hoạch và Đầu tư"),
        ("CA tỉnh phải làm gì", "Công an tỉnh"),
        ("Bộ CHQS tỉnh", "Bộ Chỉ huy Quân sự tỉnh"),
        ("Đài PT-TH Quảng Ngãi", "Đài Phát thanh - Truyền hình Quảng Ngãi"),
        ("Ủy ban MTTQ tỉnh", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"),
        ("SỞ Y TẾ", "Sở Y tế"),
        ("Kinh phí cho Sở Nông nghiệp và PTNT", "Sở Nông nghiệp và Phát triển nông thôn"),
        ("so GD&DT kinh phi", "Sở Giáo dục và Đào tạo"),
        ("Sở VH-TT&DL làm gì", "Sở Văn hóa, Thể thao và Du lịch"),
    ],
)
def test_find_in_question(matcher: UnitMatcher, text: str, unit: str) -> None:
    found = matcher.find(tokens(text))
    assert [m.item.name for m in found][:1] == [unit]


def test_longest_name_wins(matcher: UnitMatcher) -> None:
    found = matcher.find(tokens("Công an tỉnh Quảng Ngãi"))
    assert [m.item.name for m in found] == ["Công an tỉnh"]


def test_generic_words_are_not_units(matcher: UnitMatcher) -> None:
    for text in ("UBND tỉnh báo cáo", "tỉnh Quảng Ngãi", "kinh phí tài chính", "công an"):
        assert matcher.find(tokens(text)) == [], text


@pytest.mark.parametrize(
    ("text", "unit", "min_score"),
    [
        ("binh son", "UBND huyện Bình Sơn", 100),
        ("UBND huyen Son Ha", "UBND huyện Sơn Hà", 100),
        ("Sở Tài chánh", "Sở Tài chính", 85),
        ("Binh Soon", "UBND huyện Bình Sơn", 85),
        ("y tế", "Sở Y tế", 85),
        ("hoi phu nu", "Hội Liên hiệp Phụ nữ tỉnh", 85),
    ],
)
def test_match_ranks_the_right_unit_first(
    matcher: UnitMatcher, text: str, unit: str, min_score: float
) -> None:
    ranked = matcher.match(text, limit=3)
    assert ranked[0][0].name == unit
    assert ranked[0][1] >= min_score
    assert len(ranked) <= 3


def test_match_nonsense_scores_low(matcher: UnitMatcher) -> None:
    ranked = matcher.match("xyz qwerty", limit=3)
    assert all(score < 60 for _, score in ranked)
    assert matcher.match("", limit=3) == []


@pytest.fixture(scope="module")
def question_matcher(pack) -> UnitMatcher:  # type: ignore[no-untyped-def]
    """As the engine builds it: category aliases are reserved (never a derived short form)."""
    reserved = [a for spec in pack.categories.values() for a in spec.get("aliases", [])]
    return UnitMatcher(pack.units, reserved=reserved)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("kinh phi cho hoi nong dan", "Hội Nông dân tỉnh"),
        ("Hội Cựu chiến binh áp dụng gì", "Hội Cựu chiến binh tỉnh"),
        ("Liên đoàn lao động", "Liên đoàn Lao động tỉnh"),
        ("Mặt trận dùng kinh phí nào", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"),
        ("Hội Phụ nữ", "Hội Liên hiệp Phụ nữ tỉnh"),
        ("Đoàn thanh niên", "Tỉnh Đoàn Quảng Ngãi"),
        ("Biên phòng lấy kinh phí ở đâu", "Bộ Chỉ huy Bộ đội Biên phòng tỉnh"),
        ("Bộ Chỉ huy Quân sự", "Bộ Chỉ huy Quân sự tỉnh"),
        ("đài truyền hình", "Đài Phát thanh - Truyền hình Quảng Ngãi"),
        ("Ban Dân tộc", "Ban Dân tộc tỉnh"),
        ("Sở Giáo dục", "Sở Giáo dục và Đào tạo"),
        ("sở văn hoá", "Sở Văn hóa, Thể thao và Du lịch"),
        ("ngành y tế", "Sở Y tế"),
        ("kinh phí của Sở Giao thông", "Sở Giao thông vận tải"),
        ("huyện Sơn Tịnh", "UBND huyện Sơn Tịnh"),
    ],
)
def test_short_names_are_derived_from_the_registry(
    question_matcher: UnitMatcher, text: str, unit: str
) -> None:
    found = question_matcher.find(tokens(text))
    assert [m.item.name for m in found][:1] == [unit], text


@pytest.mark.parametrize(
    "text",
    [
        "sở",
        "tỉnh",
        "công an xã",
        "công an",
        "thanh tra kiểm tra",
        "thành phố",
        "các huyện, thành phố, thị xã",
        "UBND thành phố",
        "huyện Sơn",
        "văn phòng",
    ],
)
def test_short_forms_never_take_generic_words(question_matcher: UnitMatcher, text: str) -> None:
    assert question_matcher.find(tokens(text)) == [], text
