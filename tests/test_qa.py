"""Question answering: every fact of the directive, per-unit answers, declines, personalization, follow-ups,
faithfulness (no number or date the directive does not contain) and the held-out style question sets."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from knowledge import Answer, QAEngine
from knowledge.normalize import fold
from tests.qa_eval import evaluate, load_rows

DATA = Path(__file__).parent / "data"


def f(text: str) -> str:
    return fold(text.replace("/", " / ")).replace(" / ", "/")


def ask(qa: QAEngine, q: str, unit: str | None = None, context: dict | None = None) -> Answer:
    ans = qa.answer(q, unit=unit, context=context)
    json.dumps(ans.to_json())  # always serializable
    json.dumps(ans.context)
    return ans


FACTS = [
    ("Số hiệu công văn là gì?", ["5500/ubnd nc"]),
    ("Công văn ban hành ngày nào?", ["10/11/2020"]),
    ("Công văn được ban hành ở đâu?", ["quang ngai"]),
    ("Cơ quan nào ban hành công văn?", ["uy ban nhan dan tinh quang ngai"]),
    ("Ai ký công văn?", ["dang van minh", "chu tich"]),
    ("Công văn về việc gì?", ["nhan rong", "mo hinh", "thi diem", "1395"]),
    ("Giai đoạn thực hiện?", ["2021", "2025"]),
    (
        "Công văn gửi cho những cơ quan nào?",
        [
            "to chuc chinh tri",
            "so, ban, nganh",
            "cong an tinh",
            "bo chi huy quan su tinh",
            "bien phong",
            "huyen",
            "dai phat thanh",
            "bao quang ngai",
        ],
    ),
    ("Nơi nhận gồm những ai?", ["tinh uy", "hdnd", "vpub", "luu vt"]),
    ("Ai đề xuất ban hành công văn?", ["giam doc cong an tinh"]),
    ("Công văn nhằm hoàn thành chỉ tiêu nghị quyết nào?", ["dai hoi", "lan thu xx", "2020 - 2025"]),
    ("Nhiệm vụ của các sở ngành và huyện?", ["tiep tuc chi dao thuc hien quyet dinh so 1395"]),
    ("Nhiệm vụ của Công an tỉnh?", ["tham muu", "huong dan", "theo doi", "don doc", "kiem tra", "hang nam"]),
    ("Ai tổng hợp báo cáo kết quả hằng năm?", ["cong an tinh", "hang nam", "ubnd tinh", "khong neu ngay"]),
    ("Kinh phí thực hiện theo quy định nào?", ["khoan 1, muc v", "1395", "dieu 1", "1790", "22/11/2019"]),
    ("Quyết định 1395 là gì?", ["03/8/2016", "ke hoach", "an ninh to quoc", "2016 - 2020"]),
    ("Quyết định 1790 là gì?", ["22/11/2019", "sua doi khoan 2, muc v"]),
    ("Ban Chỉ đạo 138 do ai đứng đầu, ai thường trực?", ["cong an tinh", "chu tich ubnd tinh"]),
    ("Yêu cầu thực hiện công văn thế nào?", ["nghiem tuc"]),
    ("Giai đoạn thí điểm là giai đoạn nào?", ["2016 - 2020"]),
    ("Những mô hình nào được nhân rộng?", ["khong neu ten mo hinh"]),
    ("Khoản 2 Mục V được sửa đổi bởi văn bản nào?", ["1790"]),
]


@pytest.mark.parametrize(("question", "expected"), FACTS)
def test_every_fact_is_answerable(qa_engine: QAEngine, question: str, expected: list[str]) -> None:
    ans = ask(qa_engine, question)
    assert ans.answered, ans.text
    assert ans.kind == "answer"
    text = f(ans.text)
    for e in expected:
        assert f(e) in text, (e, ans.text)
    assert ans.sources, "every answer carries its sources"
    assert ans.confidence >= qa_engine.threshold
    assert len(ans.suggestions) <= 3


def test_funding_for_every_unit_of_the_registry(qa_engine: QAEngine, pack) -> None:  # type: ignore[no-untyped-def]
    for unit in pack.units:
        ans = ask(qa_engine, f"{unit.name} áp dụng kinh phí theo quy định nào?")
        text = f(ans.text)
        assert ans.answered, unit.name
        assert f(unit.name) in text, (unit.name, ans.text)
        if unit.category == "district":
            assert "khoan 1 muc v" in text and "1395" in text and "1790" not in text
        elif unit.category == "department":
            assert "dieu 1" in text and "1790" in text and "22/11/2019" in text
        else:
            assert "khong neu quy dinh kinh phi rieng" in text and "1790" in text, unit.name
            if not unit.standing_office:
                assert "lien he cong an tinh" in text
        quotes = " ".join(s.quote for s in ans.sources)
        assert "1790" in quotes or "Khoản 1, Mục V" in quotes


def test_same_answer_with_or_without_diacritics_and_nfd(qa_engine: QAEngine) -> None:
    a = ask(qa_engine, "Sở Công Thương áp dụng kinh phí nào?")
    b = ask(qa_engine, "so cong thuong ap dung kinh phi nao")
    c = ask(qa_engine, unicodedata.normalize("NFD", "Sở Công Thương áp dụng kinh phí nào?"))
    d = ask(qa_engine, "SỞ CÔNG THƯƠNG ÁP DỤNG KINH PHÍ NÀO???")
    assert a.text == b.text == c.text == d.text
    assert "1790" in a.text


@pytest.mark.parametrize(
    "question",
    [
        "kinh phis so nganh",
        "kinhphi so nganh",
        "nhiem vuj cua cong an tinh",
        "kinh phi cua so y teee",
        "Kinh phí của sở ngành hằng năm",
        "KP sở, ban, ngành",
    ],
)
def test_typos_and_abbreviations(qa_engine: QAEngine, question: str) -> None:
    ans = ask(qa_engine, question)
    assert ans.answered, question
    assert "1790" in ans.text or "tham mưu" in ans.text


@pytest.mark.parametrize(
    ("question", "number"),
    [
        ("Quyết định 999/QĐ-UBND quy định gì", "999"),
        ("Công văn 6000 ban hành ngày nào", "6000"),
        ("văn bản 1234 nói gì về kinh phí", "1234"),
        ("Quyết định 1359 ban hành ngày nào?", "1359"),
    ],
)
def test_unknown_document_numbers_are_declined(qa_engine: QAEngine, question: str, number: str) -> None:
    ans = ask(qa_engine, question)
    assert not ans.answered and ans.declined and ans.kind == "unknown_document"
    assert number in ans.text
    assert "1395" not in ans.text.split(".")[0]  # never answered as if it were a known one


@pytest.mark.parametrize(
    "question",
    [
        "Hôm nay trời có mưa không",
        "Giá xăng hôm nay",
        "Cách đăng ký kết hôn",
        "Sở Tư pháp cấp lý lịch tư pháp ở đâu",
        "kinh phí sửa chữa trường học năm 2023",
        "Thủ tục làm hộ chiếu ở Công an tỉnh",
        "asdkjh qwe zzz",
    ],
)
def test_out_of_scope_declined_with_suggestions(qa_engine: QAEngine, question: str) -> None:
    ans = ask(qa_engine, question)
    assert not ans.answered and ans.declined
    assert ans.text.startswith("Xin lỗi, câu hỏi này nằm ngoài nội dung văn bản 5500/UBND-NC")
    assert 1 <= len(ans.suggestions) <= 3
    assert ans.confidence < qa_engine.threshold


@pytest.mark.parametrize(
    "question",
    [
        "Mỗi đơn vị được cấp bao nhiêu tiền?",
        "Mức chi cho mô hình?",
        "tổng kinh phí giai đoạn 2021-2025 là bao nhiêu",
    ],
)
def test_amounts_state_the_silence_and_point_to_the_provision(qa_engine: QAEngine, question: str) -> None:
    ans = ask(qa_engine, question)
    # issue 9: a stated silence grounded in the directive is an answer
    assert ans.answered and ans.kind == "amount" and not ans.declined
    assert "không nêu số tiền" in ans.text
    assert "1790" in ans.text and "Khoản 1, Mục V" in ans.text
    assert ans.sources


@pytest.mark.parametrize(
    "template",
    [
        "kinh phí năm 2024 cho {name} là bao nhiêu",
        "{name} được cấp bao nhiêu tiền để thực hiện?",
        "Kinh phí cho {name} là bao nhiêu triệu đồng?",
        "mức kinh phí của {name}",
    ],
)
def test_amount_questions_state_the_silence_whatever_unit_is_named(
    qa_engine: QAEngine, pack, template: str
) -> None:  # type: ignore[no-untyped-def]
    for unit in pack.units:
        ans = ask(qa_engine, template.format(name=unit.name))
        assert ans.answered and ans.kind == "amount", (unit.name, ans.text)
        # the pointer is the provision of that unit's category, naming the unit
        assert unit.name in ans.text, ans.text
        if unit.category == "district":
            assert "Khoản 1, Mục V" in ans.text and "1790" not in ans.text
        else:
            assert "1790" in ans.text


def test_amount_for_the_askers_own_unit_and_as_follow_up(qa_engine: QAEngine) -> None:
    own = ask(qa_engine, "chúng tôi được cấp bao nhiêu tiền", unit="UBND huyện Ba Tơ")
    assert own.kind == "amount" and "UBND huyện Ba Tơ" in own.text and "Khoản 1, Mục V" in own.text
    follow = ask(qa_engine, "còn Sở Y tế thì sao?", context=own.context)
    assert follow.kind == "amount" and follow.answered and "Sở Y tế" in follow.text and "1790" in follow.text
    # a non-amount question afterwards is answered normally
    after = ask(qa_engine, "Sở Y tế áp dụng kinh phí theo quy định nào?", context=follow.context)
    assert after.answered and "1790" in after.text


@pytest.mark.parametrize(
    "question",
    [
        "Ai là Chủ tịch UBND tỉnh hiện nay?",
        "Chủ tịch UBND tỉnh Quảng Ngãi bây giờ là ai?",
        "Giám đốc Công an tỉnh là ai?",
        "Giám đốc Công an tỉnh tên gì",
        "Ai là Phó Chủ tịch UBND tỉnh?",
        "Chủ tịch Hội Nông dân tỉnh là ai?",
        "Chủ tịch UBND huyện Ba Tơ là ai?",
        "Ai là Bí thư Tỉnh ủy",
        "Ông Đặng Văn Minh sinh năm bao nhiêu",
        "Đặng Văn Minh quê ở đâu",
        "Số điện thoại của Chủ tịch UBND tỉnh",
    ],
)
def test_office_holders_and_personal_details_are_declined(qa_engine: QAEngine, question: str) -> None:
    ans = ask(qa_engine, question)
    assert not ans.answered and ans.declined, ans.text
    assert ans.text.startswith("Xin lỗi")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Ai ký công văn?", "Đặng Văn Minh"),
        ("Ai là Chủ tịch UBND tỉnh ký công văn?", "Đặng Văn Minh"),
        ("Trưởng Ban Chỉ đạo 138 tỉnh là ai?", "Chủ tịch UBND tỉnh"),
        ("Ban Chỉ đạo 138 tỉnh do ai làm trưởng ban?", "Chủ tịch UBND tỉnh"),
        ("Người ký giữ chức vụ gì?", "Chủ tịch"),
    ],
)
def test_offices_the_letter_names_are_answered(qa_engine: QAEngine, question: str, expected: str) -> None:
    ans = ask(qa_engine, question)
    assert ans.answered and expected in ans.text, ans.text


def test_deadline_question_says_the_directive_gives_no_date(qa_engine: QAEngine) -> None:
    ans = ask(qa_engine, "Hạn chót nộp báo cáo là ngày nào?")
    assert ans.answered
    assert "hàng năm" in ans.text and "không nêu ngày" in ans.text
    assert not re.search(r"\d{1,2}/\d{1,2}", ans.text)


def test_personalization_with_the_askers_unit(qa_engine: QAEngine) -> None:
    district = ask(qa_engine, "chúng tôi áp dụng kinh phí nào", unit="UBND huyện Sơn Hà")
    assert "UBND huyện Sơn Hà" in district.text and "Khoản 1, Mục V" in district.text
    dept = ask(qa_engine, "don vi minh dung kinh phi nao", unit="Sở Xây dựng")
    assert "Sở Xây dựng" in dept.text and "1790" in dept.text
    # a unit named in the question wins over the asker's own unit
    other = ask(qa_engine, "Sở Y tế dùng kinh phí nào?", unit="UBND huyện Sơn Hà")
    assert "Sở Y tế" in other.text and "1790" in other.text
    # the asker's unit given loosely (no diacritics) still resolves
    loose = ask(qa_engine, "kinh phí của chúng tôi", unit="ubnd huyen son ha")
    assert "UBND huyện Sơn Hà" in loose.text
    # without a known unit: the general rule for every category
    general = ask(qa_engine, "chúng tôi áp dụng kinh phí nào")
    assert "1395" in general.text and "1790" in general.text


def test_standing_office_personal_answers(qa_engine: QAEngine) -> None:
    duties = ask(qa_engine, "đơn vị mình phải làm gì?", unit="Công an tỉnh")
    assert "tham mưu" in duties.text and "hàng năm" in duties.text
    report = ask(qa_engine, "chúng tôi báo cáo khi nào?", unit="Công an tỉnh")
    assert "hàng năm" in report.text and "không nêu ngày" in report.text


def test_follow_up_reuses_topic_with_new_unit(qa_engine: QAEngine) -> None:
    first = ask(qa_engine, "Kinh phí của huyện Bình Sơn theo quy định nào?")
    assert "Khoản 1" in first.text and first.context
    second = ask(qa_engine, "còn Sở Y tế thì sao?", context=first.context)
    assert second.answered and "Sở Y tế" in second.text and "1790" in second.text
    third = ask(qa_engine, "thế còn Báo Quảng Ngãi?", context=second.context)
    assert (
        third.answered
        and "Báo Quảng Ngãi" in third.text
        and "không nêu quy định kinh phí riêng" in third.text
    )
    # a different topic keeps the unit of the conversation
    fourth = ask(qa_engine, "còn nhiệm vụ thì sao?", context=third.context)
    assert fourth.answered and "Báo Quảng Ngãi" in fourth.text
    # without context the same follow-up is an overview of the unit, not a funding answer only
    alone = ask(qa_engine, "còn Sở Y tế thì sao?")
    assert alone.answered and "Sở Y tế" in alone.text


def test_follow_up_keeps_the_topic_duties_or_funding(qa_engine: QAEngine) -> None:
    duties = ask(qa_engine, "Nhiệm vụ của UBND huyện Ba Tơ là gì?")
    assert duties.answered and "1395" in duties.text
    after_duties = ask(qa_engine, "còn Sở Y tế thì sao?", context=duties.context)
    assert after_duties.answered and after_duties.text.startswith("Thủ trưởng Sở Y tế")
    assert "1790" not in after_duties.text  # duties, not funding
    funding = ask(qa_engine, "Kinh phí của UBND huyện Ba Tơ?")
    after_funding = ask(qa_engine, "còn Sở Y tế thì sao?", context=funding.context)
    assert after_funding.text.startswith("Kinh phí của Sở Y tế") and "1790" in after_funding.text
    # informal unit names work in follow-ups too
    nd = ask(qa_engine, "thế còn hội nông dân?", context=after_funding.context)
    assert nd.answered and "Hội Nông dân tỉnh" in nd.text and "1790" in nd.text
    # small talk in between keeps the chain
    thanks = ask(qa_engine, "cảm ơn", context=nd.context)
    again = ask(qa_engine, "còn Báo Quảng Ngãi?", context=thanks.context)
    assert again.answered and "Báo Quảng Ngãi" in again.text and "kinh phí" in again.text


def test_follow_up_on_documents(qa_engine: QAEngine) -> None:
    first = ask(qa_engine, "QĐ 1395 ban hành ngày nào?")
    assert "03/8/2016" in first.text
    second = ask(qa_engine, "còn 1790?", context=first.context)
    assert "22/11/2019" in second.text


def test_greetings_help_thanks_are_not_answers_nor_declines(qa_engine: QAEngine) -> None:
    for text, kind in [
        ("xin chào", "greeting"),
        ("Chào bạn!", "greeting"),
        ("cảm ơn nhé", "thanks"),
        ("giúp", "help"),
        ("/help", "help"),
        ("", "help"),
        ("   ", "help"),
    ]:
        ans = ask(qa_engine, text, context={"entry": "funding"})
        assert ans.kind == kind, text
        assert not ans.answered and not ans.declined
        assert ans.context == {"entry": "funding"}, "small talk keeps the follow-up context"
        assert ans.text


def test_unit_addressee_question(qa_engine: QAEngine) -> None:
    ans = ask(qa_engine, "Công văn có gửi Báo Quảng Ngãi không?")
    assert ans.answered and ans.text.startswith("Có") and "Báo Quảng Ngãi" in ans.text
    ans = ask(qa_engine, "Sở Y tế có trong phần kính gửi không?")
    assert "Các sở, ban, ngành của tỉnh" in ans.text


def test_abbreviated_department_names_and_subject_line(qa_engine: QAEngine) -> None:
    # a name half spelled out, half abbreviated is still the unit, not an unknown word
    ans = ask(qa_engine, "Kinh phí cho Sở Nông nghiệp và PTNT")
    assert ans.answered and "Sở Nông nghiệp và Phát triển nông thôn" in ans.text and "1790" in ans.text
    # "V/v" is the subject line ("về việc"), not two stray letters
    ans = ask(qa_engine, "V/v của công văn là gì")
    assert ans.answered and "nhân rộng" in ans.text


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("Sở Văn hóa TT&DL", "Sở Văn hóa, Thể thao và Du lịch"),
        ("Sở VH, TT và DL", "Sở Văn hóa, Thể thao và Du lịch"),
        ("Sở Tài nguyên và MT", "Sở Tài nguyên và Môi trường"),
        ("Sở LĐTB và XH", "Sở Lao động - Thương binh và Xã hội"),
        ("Sở Giáo dục & ĐT", "Sở Giáo dục và Đào tạo"),
        ("Ban QL KKT Dung Quất", "Ban Quản lý Khu kinh tế Dung Quất và các Khu công nghiệp Quảng Ngãi"),
        ("Bộ CH Quân sự tỉnh", "Bộ Chỉ huy Quân sự tỉnh"),
        ("Sở KH và ĐT", "Sở Kế hoạch và Đầu tư"),
        ("UBND TP Quảng Ngãi", "UBND thành phố Quảng Ngãi"),
        ("UBND TX Đức Phổ", "UBND thị xã Đức Phổ"),
    ],
)
def test_half_abbreviated_unit_names_get_the_units_answer(qa_engine: QAEngine, short: str, full: str) -> None:
    ans = ask(qa_engine, f"kinh phí cho {short}")
    ref = ask(qa_engine, f"kinh phí cho {full}")
    assert ans.answered and ans.confidence >= 0.6, (short, ans.confidence)
    assert ans.text == ref.text and ans.confidence == pytest.approx(ref.confidence)
    assert ans.context == ref.context


@pytest.mark.parametrize(
    "question",
    ["MT là gì?", "TT là gì", "gửi file DL cho ai", "bảo vệ MT có trong văn bản không", "VH TT DL"],
)
def test_stray_initials_are_not_units(qa_engine: QAEngine, question: str) -> None:
    ans = ask(qa_engine, question)
    assert not ans.answered, (question, ans.text)
    assert "unit" not in (ans.context or {})


def test_to_json_contract(qa_engine: QAEngine) -> None:
    out = ask(qa_engine, "Ai ký công văn?").to_json()
    assert set(out) == {"answer", "answered", "confidence", "sources", "suggestions"}
    assert out["answered"] is True and 0 <= out["confidence"] <= 1
    assert set(out["sources"][0]) == {"document", "ref", "quote"}


def test_render_lists_sources_and_suggestions(qa_engine: QAEngine) -> None:
    ans = ask(qa_engine, "Ai ký công văn?")
    text = ans.render()
    assert "Nguồn:" in text and "Đặng Văn Minh" in text
    assert ans.render(sources=False, suggestions=False) == ans.text


@pytest.mark.parametrize(
    "question", ["🙂🙂🙂", "x" * 10000, "a " * 3000, "<b>&amp;</b>", "\x00\x01", "12345678901234"]
)
def test_garbage_never_crashes(qa_engine: QAEngine, question: str) -> None:
    ans = ask(qa_engine, question)
    assert not ans.answered


# --- faithfulness: no number, date or amount that the directive does not contain ---------------------------
QUESTIONS_FOR_FAITHFULNESS = [q for q, _ in FACTS] + [
    "Kinh phí của Sở Y tế?",
    "Kinh phí của huyện Ba Tơ?",
    "Kinh phí của Báo Quảng Ngãi?",
    "Mỗi huyện bao nhiêu tiền?",
    "Hạn nộp báo cáo?",
    "Nhiệm vụ của Hội Nông dân tỉnh?",
    "Bộ CHQS tỉnh báo cáo khi nào?",
    "Công văn 6000",
    "xin chào",
    "giúp",
    "Sở Y tế",
    "Khoản 1 Mục V quy định gì?",
]


def _numbers(text: str) -> set[str]:
    text = re.sub(r"\s*/\s*", "/", text)
    return set(re.findall(r"\d+(?:/\d+)*", text))


def test_answers_state_no_number_the_directive_lacks(qa_engine: QAEngine, pack) -> None:  # type: ignore[no-untyped-def]
    allowed = _numbers(pack.text) | {"10/11/2020", "22/11/2019", "1", "2", "3"}
    allowed |= {n for x in _numbers(pack.text) for n in x.split("/")}
    for q in QUESTIONS_FOR_FAITHFULNESS:
        for unit in (None, "Sở Y tế", "Công an tỉnh"):
            ans = ask(qa_engine, q, unit=unit)
            extra = {n for n in _numbers(ans.text) if n not in allowed}
            # an unknown document number is repeated back to the user, nothing else
            extra -= {"6000"}
            assert not extra, (q, extra, ans.text)
            assert not re.search(r"\b(triệu|tỷ|đồng|VNĐ|VND)\b", ans.text), ans.text
            for s in ans.sources:
                assert s.quote in " ".join(
                    pack.text.replace("**", "").replace("*", "").split()
                ) or s.ref.startswith(("Kính gửi", "Nơi nhận"))


def _pack_words(pack) -> set[str]:  # type: ignore[no-untyped-def]
    """Every word the pack's files contain, plus the engine's own fixed wording (knowledge/qa.py)."""
    words: set[str] = set()
    for path in sorted(pack.folder.glob("*")):
        if path.suffix in (".yaml", ".md"):
            words.update(fold(path.read_text(encoding="utf-8")).replace("/", " ").split())
    import knowledge.qa as engine_module

    engine_dir = Path(engine_module.__file__).parent
    for path in [*engine_dir.glob("*.py"), *(engine_dir / "data").glob("*.yaml")]:
        words.update(fold(path.read_text(encoding="utf-8")).replace("/", " ").split())
    return words


def test_no_answer_of_any_question_set_invents_numbers_dates_or_names(qa_engine: QAEngine, pack) -> None:  # type: ignore[no-untyped-def]
    """Every answer to every question of every set (dev set included): no number or date absent from the
    letter (apart from an unknown document number repeated back), no money unit, and no word that is neither
    in the pack nor in the engine's fixed messages (so no invented model name, office holder or provision)."""
    plain = pack.text.replace("*", "")
    # "ngày 10 tháng 11 năm 2020" is the date 10/11/2020
    plain = re.sub(r"ngày\s+(\d+)\s+tháng\s+(\d+)\s+năm\s+(\d+)", r"\1/\2/\3 \g<0>", plain)
    allowed = _numbers(plain) | {"1", "2", "3"}
    allowed |= {n for x in _numbers(plain) for n in x.split("/")}
    # today's date is the bot's clock, stated by "is it still in force?" answers (issue 9)
    import datetime as _dt

    today = _dt.date.today().strftime("%d/%m/%Y")
    allowed |= {today, *today.split("/")}
    vocabulary = _pack_words(pack)
    paths = sorted(DATA.glob("qa_cases*.jsonl"))
    # the held-out questions (not the sealed ones) are scanned too: unseen phrasings must not invent facts
    paths += [p for p in sorted((DATA / "heldout").glob("5500_*_a.jsonl")) if "followups" not in p.name]
    dev = Path("/work/shared/eval/dev_questions.jsonl")
    if dev.exists():
        paths.append(dev)
    checked = 0
    for path in paths:
        for row in load_rows(path):
            ans = ask(qa_engine, row["q"], unit=row.get("unit"))
            extra = {n for n in _numbers(ans.text) if n not in allowed}
            echoed: set[str] = set()
            if ans.kind == "unknown_document" or ans.text.startswith("Không đúng"):
                # the number asked about, repeated back ("không áp dụng cho giai đoạn 2026 - 2030")
                extra -= {n.lstrip("0") for n in _numbers(row["q"])} | set(_numbers(row["q"]))
                echoed = set(fold(row["q"]).replace("/", " ").split())  # "không do <tên hỏi> ký"
            assert not extra, (row["q"], extra, ans.text)
            assert not re.search(r"\b(triệu|tỷ|nghìn đồng|VNĐ|VND)\b", ans.text), ans.text
            words = set(fold(ans.text).replace("/", " ").split()) - vocabulary - echoed
            words = {w for w in words if not w.isdigit()}
            assert not words, (row["q"], words, ans.text)
            checked += 1
    assert checked > 400


# --- held-out style sets ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "qa_cases.jsonl",
        "qa_cases_2.jsonl",
        "qa_cases_3.jsonl",
        "qa_cases_4.jsonl",
        "qa_cases_5.jsonl",
        "qa_cases_6.jsonl",
        "qa_cases_7.jsonl",
        "qa_cases_8.jsonl",
    ],
)
def test_question_sets_reach_the_bars(qa_engine: QAEngine, name: str) -> None:
    rows = load_rows(DATA / name)
    assert len(rows) >= 40
    in_rate, oos_rate, failures = evaluate(qa_engine, rows)
    detail = "\n".join(f"{r['id']} {r['q']!r} -> {o['answer'][:80]!r}" for r, o in failures)
    assert in_rate >= 0.95, detail
    assert oos_rate >= 0.90, detail


@pytest.mark.parametrize(
    "question",
    [
        "Công an xã có nhiệm vụ gì theo công văn?",
        "chế độ phụ cấp công an xã",
    ],
)
def test_commune_level_is_not_addressed(qa_engine: QAEngine, question: str) -> None:
    ans = ask(qa_engine, question)
    assert not ans.answered and ans.declined, ans.text


@pytest.mark.parametrize(
    "question",
    [
        "Kinh phí hoạt động của UBND xã theo quy định nào?",
        "phường Nghĩa Lộ dùng kinh phí nào",
        "kinh phí của xã Tịnh Khê",
    ],
)
def test_commune_level_funding_states_the_silence_and_the_rule(qa_engine: QAEngine, question: str) -> None:
    # issue 9: the letter says nothing for communes but does regulate funding: a stated silence, answered
    ans = ask(qa_engine, question)
    assert ans.answered and "không nêu quy định kinh phí riêng cho cấp xã" in ans.text, ans.text
    assert "Khoản 1, Mục V" in ans.text and ans.sources


@pytest.mark.parametrize(
    "question",
    [
        "UBND thị xã Đức Phổ có nhiệm vụ gì",
        "Các tổ chức chính trị - xã hội dùng kinh phí nào?",
        "Sở Lao động - Thương binh và Xã hội dùng kinh phí nào",
    ],
)
def test_thi_xa_and_xa_hoi_are_not_communes(qa_engine: QAEngine, question: str) -> None:
    assert ask(qa_engine, question).answered


@pytest.mark.parametrize(
    "question",
    [
        "Mô hình camera an ninh có được nhân rộng không?",
        "Công văn có nhắc đến mô hình tổ tự quản không",
        "Những mô hình nào được nhân rộng?",
    ],
)
def test_model_names_the_letter_does_not_contain(qa_engine: QAEngine, question: str) -> None:
    ans = ask(qa_engine, question)
    assert ans.answered and "không nêu tên mô hình" in ans.text, ans.text
    assert any(s.ref == "Mục 2" for s in ans.sources)


def test_model_questions_about_money_or_rewards_are_not_model_name_answers(qa_engine: QAEngine) -> None:
    # a price of something the letter does not name: declined (issue 9), never a model name
    assert ask(qa_engine, "Mô hình camera an ninh giá bao nhiêu?").kind in ("amount", "decline")
    assert not ask(qa_engine, "tiền thưởng cho mô hình tiêu biểu").answered


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Mục 2 quy định gì", "tham mưu"),
        ("Mục 1 của công văn nói gì?", "1395"),
        ("điểm 3 công văn nói về gì", "Kinh phí"),
        ("Câu kết của văn bản yêu cầu gì?", "nghiêm túc"),
        ("Ban chỉ đạo 138 gồm những ai", "Thường trực Ban Chỉ đạo 138"),
    ],
)
def test_parts_of_the_letter_by_reference(qa_engine: QAEngine, question: str, expected: str) -> None:
    ans = ask(qa_engine, question)
    assert ans.answered and expected in ans.text, ans.text
