"""Question analysis: typo repair, units/categories, self-reference, follow-ups, foreign words."""

from __future__ import annotations

import pytest

from knowledge.analyze import Analyzer


@pytest.fixture(scope="module")
def analyzer(pack) -> Analyzer:  # type: ignore[no-untyped-def]
    return Analyzer(pack)


def test_glued_and_mistyped_syllables_are_repaired(analyzer: Analyzer) -> None:
    assert analyzer.analyze("kinhphi so nganh").toks[:2] == ["kinh", "phi"]
    assert analyzer.analyze("nhiem vuj cong an tinh").toks[:2] == ["nhiem", "vu"]


def test_repair_needs_context(analyzer: Analyzer) -> None:
    # "hoc" is one letter from known syllables but forms no known pair: left alone, and counted as foreign
    a = analyzer.analyze("kinh phí sửa chữa trường học")
    assert "hoc" in a.toks
    assert "hoc" in a.foreign


def test_units_categories_and_features(analyzer: Analyzer) -> None:
    a = analyzer.analyze("Huyện Bình Sơn áp dụng kinh phí theo đâu?")
    assert [u.name for u in a.units] == ["UBND huyện Bình Sơn"]
    assert "binh" not in a.features and "kinh" in a.features
    b = analyzer.analyze("Kinh phí của các sở, ban, ngành?")
    assert b.categories == ["department"] and not b.units


def test_self_reference(analyzer: Analyzer) -> None:
    for q in (
        "chúng tôi dùng kinh phí nào",
        "don vi minh lam gi",
        "huyện em báo cáo khi nào",
        "Bên tôi thì sao",
    ):
        a = analyzer.analyze(q)
        assert a.self_ref, q
        assert "toi" not in a.features and "minh" not in a.features
    assert not analyzer.analyze("Ai ký công văn?").self_ref


def test_follow_up_markers(analyzer: Analyzer) -> None:
    assert analyzer.analyze("còn Sở Y tế thì sao?").follow_up
    assert analyzer.analyze("thế còn huyện Ba Tơ").follow_up
    assert not analyzer.analyze("Kinh phí của Sở Y tế").follow_up


def test_amount_questions(analyzer: Analyzer) -> None:
    assert analyzer.analyze("Mỗi huyện được cấp bao nhiêu tiền").amount
    assert analyzer.analyze("kinh phí là bao nhiêu").amount
    assert not analyzer.analyze("QĐ 1790 ngày bao nhiêu").amount


def test_foreign_words(analyzer: Analyzer) -> None:
    assert analyzer.analyze("Cách nộp thuế thu nhập cá nhân").foreign
    assert not analyzer.analyze("Kinh phí của Sở Y tế theo quy định nào").foreign
    # unit names do not make their words part of the directive's subject outside a unit mention
    assert analyzer.analyze("xây dựng nông thôn mới").foreign


@pytest.mark.parametrize(
    "question",
    [
        "kinh phí năm 2024 cho công an tỉnh là bao nhiêu",
        "Sở Y tế được cấp bao nhiêu tiền",
        "kinh phí mỗi mô hình mấy triệu",
        "tổng ngân sách bao nhiêu",
    ],
)
def test_amount_wherever_the_quantifier_stands(analyzer: Analyzer, question: str) -> None:
    assert analyzer.analyze(question).amount


@pytest.mark.parametrize(
    "question", ["Công văn ban hành ngày bao nhiêu", "Công văn số bao nhiêu", "Báo cáo bao nhiêu lần một năm"]
)
def test_bao_nhieu_alone_is_not_an_amount(analyzer: Analyzer, question: str) -> None:
    assert not analyzer.analyze(question).amount


def test_real_syllables_are_not_repaired_into_the_directives_words(analyzer: Analyzer) -> None:
    # "thường trú" is a word, not a slip for "thường trực"; "sinh" next to "Minh" is not "tỉnh"
    assert analyzer.analyze("đăng ký thường trú").toks[-1] == "tru"
    assert "sinh" in analyzer.analyze("Đặng Văn Minh sinh năm nào").toks
    # non-syllables are still repaired
    assert analyzer.analyze("nhiem vu cua cong an tinhh").units[0].name == "Công an tỉnh"


def test_passage_references(analyzer: Analyzer) -> None:
    assert analyzer.analyze("Mục 2 quy định gì").refs == ["Mục 2"]
    assert analyzer.analyze("điểm 3 của công văn").refs == ["Mục 3"]
    assert analyzer.analyze("câu kết yêu cầu gì").refs == ["Câu kết"]
    assert analyzer.analyze("Khoản 1 Mục V là gì").refs == []


def test_personal_details_and_office_titles(analyzer: Analyzer) -> None:
    assert analyzer.analyze("Ông Đặng Văn Minh quê ở đâu").personal
    assert not analyzer.analyze("Ai ký công văn").personal
    a = analyzer.analyze("Ai là Phó Chủ tịch UBND tỉnh")
    assert [tuple(a.toks[s:e]) for s, e in a.offices] == [("pho", "chu", "tich")]


@pytest.mark.parametrize(
    ("question", "count"),
    [
        ("Kế hoạch 1395 có bao nhiêu mô hình", True),
        ("Quyết định 1395 có mấy điều", True),
        ("Kinh phí theo Điều mấy của QĐ 1790", False),
        ("Nghị quyết lần thứ mấy", False),
        ("Báo cáo mấy lần một năm", False),
        ("Nội dung chỉ đạo gồm mấy điểm", False),
        ("kinh phí bao nhiêu", False),  # an amount, not a count
    ],
)
def test_counting_questions(analyzer: Analyzer, question: str, count: bool) -> None:
    assert analyzer.analyze(question).count is count


def test_initials_of_unit_names_are_not_repaired(analyzer: Analyzer) -> None:
    # "VH", "DL" are initials of a registered name, not slips for "va", "du"
    a = analyzer.analyze("kinh phí cho Sở VH, TT và DL")
    assert a.toks[-5:] == ["so", "vh", "tt", "va", "dl"]
    assert [u.name for u in a.units] == ["Sở Văn hóa, Thể thao và Du lịch"]
    assert "dl" not in a.features and "vh" not in a.features
    # and nothing is repaired *into* initials: "XD" does not become "GD" (Sở Giáo dục và Đào tạo)
    b = analyzer.analyze("kinh phí Sở XD và ĐT")
    assert "gd" not in b.toks and not b.units
