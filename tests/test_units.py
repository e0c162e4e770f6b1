"""Unit recognition: in questions (exact spans on normalized tokens) and as names (fuzzy ranking)."""

from __future__ import annotations

import pytest

from knowledge.normalize import fold, tokens
from knowledge.pack import Unit
from knowledge.units import UnitMatcher, initialled_forms


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


# --- mixed full / initialled names, derived from the registry ------------------------------------------
MIXED_FORMS = [
    ("Sở Văn hóa TT&DL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("Sở VH, TT và DL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("Sở VHTT&DL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("Sở VH-TTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("ngành VHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("Sở Tài nguyên và MT", "Sở Tài nguyên và Môi trường"),
    ("Sở TN & Môi trường", "Sở Tài nguyên và Môi trường"),
    ("Sở LĐTB và XH", "Sở Lao động - Thương binh và Xã hội"),
    ("Sở Lao động TB&XH", "Sở Lao động - Thương binh và Xã hội"),
    ("Sở Giáo dục & ĐT", "Sở Giáo dục và Đào tạo"),
    ("so GD va DT", "Sở Giáo dục và Đào tạo"),
    ("Ban QL KKT Dung Quất", "Ban Quản lý Khu kinh tế Dung Quất và các Khu công nghiệp Quảng Ngãi"),
    ("Ban QLKKT Dung Quất", "Ban Quản lý Khu kinh tế Dung Quất và các Khu công nghiệp Quảng Ngãi"),
    ("Bộ CH Quân sự tỉnh", "Bộ Chỉ huy Quân sự tỉnh"),
    ("Bộ CHBĐBP tỉnh", "Bộ Chỉ huy Bộ đội Biên phòng tỉnh"),
    ("Sở KH và ĐT", "Sở Kế hoạch và Đầu tư"),
    ("Sở Khoa học và CN", "Sở Khoa học và Công nghệ"),
    ("Sở KH và CN", "Sở Khoa học và Công nghệ"),
    ("Sở NN và PTNT", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("Sở TT và TT", "Sở Thông tin và Truyền thông"),
    ("Sở GTVT", "Sở Giao thông vận tải"),
    ("UBND TP Quảng Ngãi", "UBND thành phố Quảng Ngãi"),
    ("UBND TX Đức Phổ", "UBND thị xã Đức Phổ"),
]


@pytest.mark.parametrize(("text", "unit"), MIXED_FORMS)
def test_mixed_full_and_initialled_names(question_matcher: UnitMatcher, text: str, unit: str) -> None:
    found = question_matcher.find(tokens(f"kinh phí cho {text} thế nào"))
    assert [m.item.name for m in found] == [unit], text


@pytest.mark.parametrize(
    "text",
    [
        "MT",
        "TT",
        "DL",
        "TT DL",
        "VH TT DL",  # no head word: not a unit
        "tài nguyên và MT",
        "bảo vệ MT",
        "gửi file DL cho ai",
        "số TT của mục 3",
        "Sở VH",  # two letters of one field: too little context ("số VH"?)
        "số NV là bao nhiêu",  # "NV" reads "nhiệm vụ": never "Sở Nội vụ"
        "Sở TP",  # "TP" reads "thành phố": never "Sở Tư pháp"
        "Ban QL KKT",  # the proper name is never initialled nor dropped
    ],
)
def test_initials_need_the_head_word_and_enough_letters(question_matcher: UnitMatcher, text: str) -> None:
    assert question_matcher.find(tokens(text)) == [], text


def test_initialled_forms_are_derived_from_any_registry() -> None:
    # a registry this code has never seen: forms come from the names, and a form two units share is dropped
    units = [
        Unit("Sở Thể thao và Du lịch", "department"),
        Unit("Sở Thông tin và Du lịch", "department"),
        Unit("Ban Quản lý Dự án Đầu tư Xây dựng tỉnh", "department"),
    ]
    m = UnitMatcher(units)

    def names(text: str) -> list[str]:
        return [x.item.name for x in m.find(tokens(text))]

    assert names("Sở Thể thao và DL") == ["Sở Thể thao và Du lịch"]
    assert names("Sở TT&DL") == []  # both units: ambiguous
    assert names("Sở Thông tin & DL") == ["Sở Thông tin và Du lịch"]
    assert names("Ban QLDA ĐTXD tỉnh") == ["Ban Quản lý Dự án Đầu tư Xây dựng tỉnh"]
    assert names("Ban QL Dự án ĐTXD") == ["Ban Quản lý Dự án Đầu tư Xây dựng tỉnh"]
    assert {"dl", "qlda", "dtxd"} <= m.initials


def test_initialled_forms_of_one_name() -> None:
    forms = {fold(f) for f, _, _ in initialled_forms("Sở Văn hóa, Thể thao và Du lịch")}
    assert {
        "so van hoa tt dl",
        "so vh tt va dl",
        "so vhttdl",
        "so vh ttdl",
        "so van hoa va tt va du lich",
    } <= forms
    assert "so van hoa the thao va du lich" not in forms  # at least one field is initialled
    # proper names stay whole, names written with initials and names without fields give nothing
    assert all("dung quat" in fold(f) for f, _, _ in initialled_forms("Ban Quản lý Khu kinh tế Dung Quất"))
    assert initialled_forms("Sở KH&ĐT") == []
    assert initialled_forms("UBND huyện Bình Sơn") == []
    assert initialled_forms("Sở Công Thương") == []


def test_match_still_ranks_by_name(matcher: UnitMatcher) -> None:
    # registration by a typed name: an initialled form is an exact hit
    assert matcher.match("Sở LĐTB và XH", limit=1)[0] == (
        next(u for u in matcher.units if u.name.startswith("Sở Lao động")),
        100.0,
    )
