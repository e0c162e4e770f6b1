"""Issue 9: the engine's parts (question analysis, premise checking, date awareness, bot help, pronoun
follow-ups, answers from structure) and the rule that ``knowledge/`` holds no directive-specific words."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from knowledge import QAEngine, load_pack
from knowledge.normalize import fold, tokens
from knowledge.question import read

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


@pytest.fixture(scope="module")
def engine() -> QAEngine:
    return QAEngine(load_pack(), clock=lambda: dt.date(2026, 12, 1))


def test_no_directive_specific_strings_in_engine_code() -> None:
    """Numbers, places, people and unit names of the shipped pack never appear in the engine's code."""
    pack = load_pack()
    meta = pack.meta
    banned = {str(meta["number_short"]), str(meta["place"]), str(meta["signer"]["name"])}
    banned |= {str(d["id"]) for d in pack.documents}
    banned |= {u.name for u in pack.units if fold(str(meta["place"])) in fold(u.name)}
    banned |= {"Quảng Ngãi", "Quang Ngai", "1395", "1790", "5500", "138", "Đặng Văn Minh"}
    folded = {fold(b) for b in banned if len(fold(b)) >= 3}
    for path in sorted(KNOWLEDGE.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        code = fold(text)
        for word in folded:
            pattern = rf"(?<![0-9a-z]){re.escape(word)}(?![0-9a-z])"
            assert not re.search(pattern, code), (path.name, word)


def test_question_analysis_reads_amounts_dates_frequencies_and_titles() -> None:
    q = read("mỗi huyện 500 triệu đúng không?", tokens("mỗi huyện 500 triệu đúng không?"))
    assert q.yesno and q.amounts == ["500 trieu"]
    q = read("Công văn ký ngày 15/11/2020 phải không?", tokens("Công văn ký ngày 15/11/2020 phải không?"))
    assert q.dates == [(15, 11, 2020)] and q.yesno
    q = read("do Phó Chủ tịch ký hằng quý à", tokens("do Phó Chủ tịch ký hằng quý à"))
    assert q.titles == ["pho chu tich"] and q.frequencies == ["hang quy"]
    assert read("giai đoạn 2016-2020 thì sao", tokens("giai đoạn 2016-2020")).periods == [(2016, 2020)]


def test_amounts_are_not_document_numbers(engine: QAEngine) -> None:
    ans = engine.answer("mỗi huyện 500 triệu đúng không?")
    assert ans.kind != "unknown_document" and ans.answered
    assert ans.text.startswith("Không đúng") and "Khoản 1, Mục V" in ans.text


@pytest.mark.parametrize(
    ("question", "good", "fact"),
    [
        ("Công văn ký ngày 15/11/2020 đúng không?", False, "10/11/2020"),
        ("Công văn ký ngày 10/11/2020 đúng không?", True, "10/11/2020"),
        ("Công văn do Phó Chủ tịch ký phải không?", False, "Đặng Văn Minh"),
        ("Công văn do Chủ tịch UBND tỉnh ký phải không?", True, "Đặng Văn Minh"),
        ("Công an tỉnh báo cáo hằng quý phải không?", False, "hằng năm"),
        ("Công văn của tỉnh Bình Định phải không?", False, "Quảng Ngãi"),
        ("Công văn áp dụng giai đoạn 2016-2020 phải không?", False, "2021 - 2025"),
    ],
)
def test_premises_are_confirmed_or_corrected_with_the_fact(
    engine: QAEngine, question: str, good: bool, fact: str
) -> None:
    ans = engine.answer(question)
    assert ans.answered and ans.sources
    assert ans.text.startswith("Đúng" if good else "Không đúng"), ans.text
    assert fact in ans.text


@pytest.mark.parametrize(
    "question",
    [
        "Công văn còn hiệu lực không?",
        "Giai đoạn 2021 - 2025 đã kết thúc chưa?",
        "Năm 2026 còn phải báo cáo theo công văn này không?",
    ],
)
def test_period_questions_use_todays_date(engine: QAEngine, question: str) -> None:
    ans = engine.answer(question)
    assert ans.answered and "đã kết thúc" in ans.text and "01/12/2026" in ans.text
    assert "không nói gì" in ans.text and "Công an tỉnh" in ans.text
    if "2026" not in question:
        during = engine.answer(question, today=dt.date(2023, 5, 1))
        assert "đã kết thúc" not in during.text and "vẫn trong giai đoạn" in during.text


@pytest.mark.parametrize(
    ("question", "command"),
    [
        ("làm sao để nộp báo cáo?", "/baocao"),
        ("tôi muốn sửa báo cáo đã nộp", "/baocao"),
        ("xem báo cáo đã nộp", "/trangthai"),
        ("tôi muốn đổi đơn vị", "/dangky"),
    ],
)
def test_bot_usage_questions_get_the_command(engine: QAEngine, question: str, command: str) -> None:
    ans = engine.answer(question)
    assert ans.answered and ans.kind == "bot_help" and command in ans.text and not ans.sources


def test_directive_questions_are_not_bot_help(engine: QAEngine) -> None:
    for q in ("Ai báo cáo kết quả hằng năm cho UBND tỉnh?", "Cách nộp thuế thu nhập cá nhân"):
        assert engine.answer(q).kind != "bot_help", q


def test_pronouns_resolve_to_the_previous_answer(engine: QAEngine) -> None:
    first = engine.answer("Ai ký công văn?")
    follow = engine.answer("ông ấy giữ chức vụ gì?", context=first.context)
    assert follow.answered and "Chủ tịch UBND tỉnh" in follow.text
    doc = engine.answer("Quyết định 1790 ban hành ngày nào?")
    follow = engine.answer("cụ thể là điều mấy của quyết định đó?", context=doc.context)
    assert follow.answered and "Điều 1" in follow.text


def test_noisy_typing_vni_telex_and_abbreviations(engine: QAEngine) -> None:
    assert tokens("huye65n kinh phi1 the61 na2o") == ["huyen", "kinh", "phi", "the", "nao"]
    assert engine.answer("huye65n Ba Tơ du2ng kinh phi1 na2o").answered
    for q in ("BCH QS tỉnh lấy kinh phí ở đâu", "BĐBP tỉnh dùng kinh phí nào", "Đài PT-TH dùng kinh phí nào"):
        ans = engine.answer(q)
        assert ans.answered and "1790" in ans.text, q


def test_two_part_questions_answer_both_parts(engine: QAEngine) -> None:
    ans = engine.answer("Sở Y tế dùng kinh phí nào? nếu chưa rõ thì hỏi ai?")
    assert ans.answered and "1790" in ans.text and "liên hệ Công an tỉnh" in ans.text


def test_an_ingested_style_pack_without_entries_answers_from_structure(tmp_path: Path) -> None:
    """The shipped pack with qa.yaml and the category templates removed: meta + passages only."""
    src = load_pack().folder
    dst = tmp_path / "bare"
    shutil.copytree(src, dst)
    (dst / "qa.yaml").unlink()
    data = yaml.safe_load((dst / "pack.yaml").read_text(encoding="utf-8"))
    for key in ("categories", "standing_office_duties", "reporting", "known_offices"):
        data.pop(key, None)
    (dst / "pack.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    bare = QAEngine(load_pack(dst), clock=lambda: dt.date(2026, 12, 1))
    assert not bare.entries
    assert "Đặng Văn Minh" in bare.answer("Ai ký công văn?").text
    assert "10/11/2020" in bare.answer("Công văn ban hành ngày nào?").text
    assert "1790" in bare.answer("Sở Y tế dùng kinh phí theo quy định nào?").text
    assert "hàng năm" in bare.answer("Công an tỉnh báo cáo kết quả thế nào?").text
    assert not bare.answer("Giá xăng hôm nay").answered


def test_ask_sessions_share_context(tmp_path: Path) -> None:
    import io

    from bot.commands.ask import batch

    eng = QAEngine(load_pack())
    lines = [
        {"question": "Ai ký công văn?", "session": "a"},
        {"question": "ông ấy giữ chức vụ gì?", "session": "a"},
    ]
    out = io.StringIO()
    batch(eng, io.StringIO("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)), out)
    answers = [json.loads(x) for x in out.getvalue().splitlines()]
    assert "Chủ tịch UBND tỉnh" in answers[1]["answer"] and answers[1]["answered"]
