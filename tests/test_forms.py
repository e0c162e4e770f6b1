"""The data-driven report form: loading, validation of every field type, display."""

from __future__ import annotations

from typing import Any

import pytest

from bot import forms
from bot.messages import Attachment

YEARS = [2021, 2022, 2023, 2024, 2025]


@pytest.fixture(scope="module")
def form(pack: Any) -> forms.FormSpec:
    return forms.load_form(pack)


def test_pack_form_has_the_fields_of_the_issue(form: forms.FormSpec) -> None:
    types = {f.key: (f.type, f.required) for f in form.fields}
    assert types == {
        "year": ("year", True),
        "models_count": ("integer", True),
        "model_names": ("text", True),
        "results": ("text", True),
        "difficulties": ("text", False),
        "proposals": ("text", False),
        "funding": ("money", False),
        "attachment": ("file", False),
    }
    assert form.period == (2021, 2025)
    assert form.field("models_count").min == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "fields"),
        ({"fields": [{"key": "a", "type": "colour"}]}, "unknown type"),
        ({"fields": [{"key": "a", "type": "text"}, {"key": "a", "type": "text"}]}, "twice"),
        ({"fields": [{"key": "Bad Key", "type": "text"}]}, "invalid key"),
        ({"fields": [{"key": "c", "type": "choice"}]}, "needs options"),
    ],
)
def test_malformed_forms_are_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(forms.FormError, match=message):
        forms.parse_form(raw)


def accept(
    form: forms.FormSpec, key: str, text: str | None = None, choice: str | None = None, **kw: Any
) -> Any:
    return forms.accept(form.field(key), text=text, choice=choice, years=YEARS, **kw)


def test_year(form: forms.FormSpec) -> None:
    assert accept(form, "year", "2024") == 2024
    assert accept(form, "year", "năm 2023") == 2023
    assert accept(form, "year", choice="2025") == 2025
    for bad, why in [
        ("2019", "chưa được mở"),
        ("abc", "4 chữ số"),
        ("", "Chưa có"),
        ("-2024", "4 chữ số"),
        ("²⁰²⁴", "4 chữ số"),
    ]:  # superscripts pass str.isdigit() but not int()
        with pytest.raises(forms.FieldError, match=why):
            accept(form, "year", bad)


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("-1", "lớn hơn hoặc bằng 0"),
        ("năm", "số nguyên"),
        ("5.5", "số nguyên"),
        ("🙂", "số nguyên"),
        ("", "Chưa có"),
        ("9" * 10_000, "quá lớn"),
        ("1000000", "quá lớn"),
    ],
)
def test_integer_rejects(form: forms.FormSpec, bad: str, why: str) -> None:
    with pytest.raises(forms.FieldError, match=why):
        accept(form, "models_count", bad)


def test_integer_accepts(form: forms.FormSpec) -> None:
    assert accept(form, "models_count", "0") == 0
    assert accept(form, "models_count", " 12 ") == 12
    assert accept(form, "models_count", "12 mô hình") == 12
    assert accept(form, "models_count", "1.200") == 1200


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("", "Chưa có"),
        ("   \n  ", "Chưa có"),
        ("🙂🎉👍", "chữ hoặc số"),
        ("!!! ... ???", "chữ hoặc số"),
        ("x" * 10_000, "quá dài"),
        ("a", "quá ngắn"),
    ],
)
def test_required_text_rejects(form: forms.FormSpec, bad: str, why: str) -> None:
    with pytest.raises(forms.FieldError, match=why):
        accept(form, "model_names", bad)


def test_text_is_cleaned_and_kept(form: forms.FormSpec) -> None:
    assert accept(form, "results", "  Giảm 20% vụ việc\r\nTăng tuyên truyền \x07 ") == (
        "Giảm 20% vụ việc\nTăng tuyên truyền"
    )
    with pytest.raises(forms.FieldError, match="bắt buộc"):
        accept(form, "results", choice=forms.SKIP_VALUE)


def test_optional_fields_can_be_skipped_by_choice_or_words(form: forms.FormSpec) -> None:
    for key in ("difficulties", "proposals", "funding", "attachment"):
        assert accept(form, key, choice=forms.SKIP_VALUE) is None
        assert accept(form, key, "Bỏ qua") is None
        assert accept(form, key, "khong") is None
    with pytest.raises(forms.FieldError, match="quá dài"):
        accept(form, "difficulties", "y" * 10_000)
    with pytest.raises(forms.FieldError, match="chữ hoặc số"):
        accept(form, "proposals", "😀")


def test_money_field(form: forms.FormSpec) -> None:
    assert accept(form, "funding", "150 triệu") == 150_000_000
    for bad in ("-5 triệu", "nhiều tiền", "🙂", "9" * 10_000):
        with pytest.raises(forms.FieldError):
            accept(form, "funding", bad)


def test_file_field(form: forms.FormSpec) -> None:
    saved: list[Attachment] = []

    def save(att: Attachment) -> dict[str, Any]:
        if att.size > 10:
            raise ValueError("Tệp quá lớn")
        saved.append(att)
        return {"file_id": 1, "filename": att.filename, "size": att.size}

    ok = Attachment("bc.pdf", b"%PDF-1.4", "application/pdf")
    assert accept(form, "attachment", attachments=[ok], save_file=save)["filename"] == "bc.pdf"
    with pytest.raises(forms.FieldError, match="quá lớn"):
        accept(form, "attachment", attachments=[Attachment("big.pdf", b"x" * 11)], save_file=save)
    with pytest.raises(forms.FieldError, match="gửi một tệp"):
        accept(form, "attachment", "đây là tệp", save_file=save)
    assert saved == [ok]


def test_prompt_offers_years_with_default_first_and_skip_for_optional(form: forms.FormSpec) -> None:
    reply = forms.prompt(form.field("year"), number=1, total=8, years=YEARS, default_year=2024)
    assert [c.value for c in reply.choices] == ["2024", "2025", "2023", "2022", "2021"]
    assert "mặc định" in reply.choices[0].label
    reply = forms.prompt(form.field("funding"), number=7, total=8, error="Số tiền không được âm.")
    assert reply.text.startswith("⚠️ Số tiền không được âm.")
    assert [c.value for c in reply.choices] == [forms.SKIP_VALUE]
    assert forms.prompt(form.field("results"), number=4, total=8).choices == []


def test_summary_shows_every_field(form: forms.FormSpec) -> None:
    answers = {
        "year": 2024,
        "models_count": 1200,
        "model_names": "A",
        "results": "R" * 500,
        "difficulties": None,
        "funding": 150_000_000,
        "attachment": {"filename": "bc.pdf", "size": 2048},
    }
    text = forms.summary(form, answers, header="Kiểm tra:")
    assert "Năm báo cáo: 2024" in text
    assert ": 1.200" in text
    assert "150.000.000 đồng" in text
    assert "bc.pdf (2 KB)" in text
    assert "Khó khăn, vướng mắc: (không có)" in text
    assert "Đề xuất, kiến nghị: (không có)" in text
    assert "R" * 500 not in text and "…" in text
