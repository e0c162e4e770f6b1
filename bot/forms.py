"""A report form engine driven by data (``report_form.yaml`` of the knowledge pack).

The form is a list of typed fields.  This module knows how to ask a field
(:func:`prompt`), check an answer (:func:`accept`, raising :class:`FieldError` with
a Vietnamese message), show an answer (:func:`display`) and summarise the whole
form.  It holds no state: the report handler keeps answers in the dialog state, so a
restart resumes where the user was.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.messages import Attachment, Choice, Reply
from bot.money import MoneyError, format_vnd, parse_vnd, scaled_number, strip_marks
from bot.text import fold, thousands
from knowledge.pack import default_pack_dir

TYPES = ("year", "integer", "text", "money", "file", "choice")
SKIP_VALUE = "skip"
SKIP_LABEL = "Bỏ qua"
# Typed answers that mean "nothing to declare" for an optional field (compared folded).
SKIP_WORDS = ("bo qua", "khong", "khong co", "ko", "k", "-", "skip", "khong co gi")
DEFAULT_MAX_TEXT = 2000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SCALE_WORD = re.compile(r"\d\s*(?:nghin|ngan|trieu|tr|ty|ti|k)\b")
_INT = re.compile(r"^([+-]?)(\d{1,3}(?:[.,\s]\d{3})+|\d+)(?:\s+[^\d\s].*)?$")


class FieldError(ValueError):
    """An answer the field does not accept; ``str(exc)`` is the Vietnamese explanation."""


class FormError(ValueError):
    """The form definition itself is wrong (a pack author's mistake)."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    key: str
    type: str
    label: str
    prompt: str
    help: str = ""
    required: bool = True
    min: int | None = None
    max: int | None = None
    min_length: int = 1
    max_length: int = DEFAULT_MAX_TEXT
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class FormSpec:
    name: str
    title: str
    fields: tuple[FieldSpec, ...]
    period: tuple[int, int] = (2021, 2025)
    intro: str = ""
    keys: tuple[str, ...] = field(default=())

    def field(self, key: str) -> FieldSpec:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def index(self, key: str) -> int:
        return self.keys.index(key)

    def next_key(self, key: str | None, answers: dict[str, Any]) -> str | None:
        """The first field after ``key`` (or from the start) that has not been answered."""
        start = 0 if key is None else self.index(key) + 1
        for f in self.fields[start:]:
            if f.key not in answers:
                return f.key
        return None


# ------------------------------------------------------------------ loading
class _Option(BaseModel):
    label: str
    value: str

    @field_validator("label", "value", mode="before")
    @classmethod
    def _text(cls, v: Any) -> str:
        return str(v)


class _Field(BaseModel):
    """One field of ``report_form.yaml`` as the pack author writes it."""

    model_config = ConfigDict(extra="ignore")

    key: str
    type: str
    label: str = ""
    prompt: str = ""
    help: str = ""
    required: bool = True
    min: int | None = None
    max: int | None = None
    min_length: int = 1
    max_length: int = DEFAULT_MAX_TEXT
    options: list[_Option] | None = None

    @field_validator("key", mode="before")
    @classmethod
    def _key(cls, v: Any) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", str(v or "")):
            raise ValueError(f"invalid key {v!r} (a-z, 0-9, _; starting with a letter)")
        return str(v)

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, v: Any) -> str:
        if str(v) not in TYPES:
            raise ValueError(f"unknown type {v!r} (known: {', '.join(TYPES)})")
        return str(v)

    @model_validator(mode="after")
    def _choice_options(self) -> _Field:
        if self.type == "choice" and not self.options:
            raise ValueError(f"choice field {self.key!r} needs options")
        return self

    def spec(self) -> FieldSpec:
        return FieldSpec(
            key=self.key,
            type=self.type,
            label=self.label or self.key,
            prompt=self.prompt or self.label or self.key,
            help=self.help,
            required=self.required,
            min=self.min,
            max=self.max,
            min_length=self.min_length,
            max_length=self.max_length,
            options=tuple((o.label, o.value) for o in self.options or ()),
        )


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = "report"
    title: str = "Báo cáo"
    period: list[int] = Field(default_factory=lambda: [2021, 2025], min_length=1, max_length=2)
    intro: str = ""
    fields: list[_Field] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> _Form:
        seen: set[str] = set()
        for f in self.fields:
            if f.key in seen:
                raise ValueError(f"key {f.key!r} used twice")
            seen.add(f.key)
        return self


def _pydantic_message(exc: ValidationError) -> str:
    """pydantic's errors as one line each: where (``fields.2.type``) and why."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err["loc"])
        why = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {why}" if where else why)
    return "; ".join(lines)


def parse_form(raw: Any) -> FormSpec:
    """Validate a report form (pydantic); :class:`FormError` names the field and the problem."""
    if not isinstance(raw, dict):
        raise FormError("report form: 'fields' must be a non-empty list")
    try:
        model = _Form.model_validate(raw)
    except ValidationError as exc:
        raise FormError(f"report form: {_pydantic_message(exc)}") from exc
    fields = tuple(f.spec() for f in model.fields)
    return FormSpec(
        name=model.name or "report",
        title=model.title or "Báo cáo",
        fields=fields,
        period=(int(model.period[0]), int(model.period[-1])),
        intro=model.intro.strip(),
        keys=tuple(f.key for f in fields),
    )


def load_form(pack: Any, name: str = "report_form.yaml") -> FormSpec:
    """The pack's report form: ``pack.raw(name)``, else the file in the pack's folder."""
    raw = None
    getter = getattr(pack, "raw", None)
    if callable(getter):
        raw = getter(name)
    if raw is None:
        folder = getattr(pack, "folder", None) or getattr(pack, "path", None) or default_pack_dir()
        raw = yaml.safe_load((Path(folder) / name).read_text(encoding="utf-8"))
    return parse_form(raw)


# ---------------------------------------------------------------- asking
def prompt(
    f: FieldSpec,
    *,
    number: int,
    total: int,
    years: list[int] | None = None,
    default_year: int | None = None,
    error: str = "",
) -> Reply:
    """The question for field ``f`` (with the error of the previous answer, if any)."""
    lines = []
    if error:
        lines.append(f"⚠️ {error}")
        if f.help and f.help not in error:
            lines.append(f.help)
    lines.append(f"({number}/{total}) {f.prompt}")
    choices: list[Choice] = []
    if f.type == "year":
        years = years or []
        ordered = ([default_year] if default_year in years else []) + [
            y for y in reversed(years) if y != default_year
        ]
        choices = [Choice(f"{y}" + (" (mặc định)" if y == default_year else ""), str(y)) for y in ordered]
    elif f.type == "choice":
        choices = [Choice(label, value) for label, value in f.options]
    if not f.required:
        choices.append(Choice(SKIP_LABEL, SKIP_VALUE))
    return Reply("\n".join(lines), choices)


def takes_free_text(f: FieldSpec) -> bool:
    """Whether a typed number is an answer (not "choice number N").

    Only for integer fields: "1" is a count of models, but never a text answer, an amount of money
    (refused below 1.000 đồng) or a file, so there a typed "1" picks the first choice ("Bỏ qua")
    exactly as the numbered line shows it."""
    return f.type == "integer"


# ---------------------------------------------------------------- checking
def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def is_skip(f: FieldSpec, text: str | None, choice: str | None) -> bool:
    if f.required:
        return False
    if choice == SKIP_VALUE:
        return True
    return (text is not None and fold(text) in SKIP_WORDS) or (text or "").strip() == "-"


def accept(
    f: FieldSpec,
    *,
    text: str | None,
    choice: str | None,
    attachments: list[Attachment] | None = None,
    years: list[int] | None = None,
    save_file: Any = None,
) -> Any:
    """Check an answer; returns the value to store (None = skipped) or raises FieldError.

    ``save_file(attachment) -> dict`` stores a file (checks size) and returns what to keep.
    """
    if is_skip(f, text, choice):
        return None
    if f.required and (choice == SKIP_VALUE or (text is not None and fold(text) in SKIP_WORDS)):
        raise FieldError("Mục này bắt buộc, không bỏ qua được.")
    if f.type == "file":
        return _file(f, attachments or [], save_file)
    raw = choice if choice is not None else text
    if raw is None or not raw.strip():
        raise FieldError("Chưa có câu trả lời." + ("" if f.required else " Chọn Bỏ qua nếu không có."))
    return _PARSERS[f.type](f, raw.strip(), years or [])


def _file(f: FieldSpec, attachments: list[Attachment], save_file: Any) -> Any:
    if not attachments:
        raise FieldError("Vui lòng gửi một tệp hoặc ảnh" + ("." if f.required else ", hoặc chọn Bỏ qua."))
    if save_file is None:
        raise FieldError("Không lưu được tệp.")
    try:
        return save_file(attachments[0])
    except ValueError as exc:
        raise FieldError(str(exc)) from exc


def _money(f: FieldSpec, raw: str, years: list[int]) -> int:
    try:
        return parse_vnd(raw)
    except MoneyError as exc:
        raise FieldError(str(exc)) from exc


def _choice(f: FieldSpec, raw: str, years: list[int]) -> str:
    for label, value in f.options:
        if raw == value or fold(raw) == fold(label):
            return value
    raise FieldError("Vui lòng chọn một trong các lựa chọn.")


def _year(f: FieldSpec, raw: str, years: list[int]) -> int:
    digits = re.sub(r"\D", "", raw) if re.fullmatch(r"\s*(?:năm|nam)?\s*\d{4}\s*", raw, re.I) else raw
    if not digits.isdecimal():
        raise FieldError("Năm phải là số có 4 chữ số, ví dụ 2024.")
    year = int(digits)
    if year not in years:
        span = f"{years[0]}–{years[-1]}" if years else "(chưa mở năm nào)"
        raise FieldError(f"Năm {year} chưa được mở để báo cáo. Các năm đang mở: {span}.")
    return year


def _integer(f: FieldSpec, raw: str, years: list[int]) -> int:
    value = _integer_value(raw)
    if f.min is not None and value < f.min:
        raise FieldError(f"Số phải lớn hơn hoặc bằng {f.min}.")
    if f.max is not None and value > f.max:
        raise FieldError(f"Số quá lớn (tối đa {thousands(f.max)}).")
    return value


def _integer_value(raw: str) -> int:
    """``5``, ``1.200``, ``5 mô hình``; ``10 nghìn`` and ``2 tỷ 500 triệu`` as the numbers they say
    (never the first digits only)."""
    m = _INT.match(raw)
    if not m:
        raise FieldError("Cần một số nguyên, ví dụ 5.")
    if _SCALE_WORD.search(strip_marks(raw)):
        try:
            total, _scaled = scaled_number(strip_marks(raw).lstrip("+-"))
        except MoneyError as exc:
            raise FieldError("Cần một số nguyên, ví dụ 5.") from exc
        if abs(total - round(total)) > 1e-6:
            raise FieldError("Cần một số nguyên (không có phần lẻ), ví dụ 5.")
        value = round(total)
    else:
        digits = re.sub(r"[.,\s]", "", m.group(2))
        if len(digits) > 15:
            raise FieldError("Số quá lớn, vui lòng kiểm tra lại.")
        value = int(digits)
    return -value if m.group(1) == "-" else value


def _text(f: FieldSpec, raw: str, years: list[int]) -> str:
    text = clean_text(raw)
    if not any(ch.isalnum() for ch in text):
        raise FieldError("Nội dung cần có chữ hoặc số (không chỉ biểu tượng, dấu câu).")
    if len(text) > f.max_length:
        n, limit = thousands(len(text)), thousands(f.max_length)
        raise FieldError(f"Nội dung quá dài ({n} ký tự), tối đa {limit} ký tự. Vui lòng rút gọn.")
    if len(text) < f.min_length:
        raise FieldError(f"Nội dung quá ngắn (ít nhất {f.min_length} ký tự).")
    return text


_PARSERS: dict[str, Callable[[FieldSpec, str, list[int]], Any]] = {
    "year": _year,
    "integer": _integer,
    "money": _money,
    "choice": _choice,
    "text": _text,
}


# ---------------------------------------------------------------- showing
def display(f: FieldSpec, value: Any) -> str:
    if value is None:
        return "(không có)"
    if f.type == "money":
        return format_vnd(int(value))
    if f.type == "file":
        if isinstance(value, dict):
            size = int(value.get("size", 0))
            return f"{value.get('filename', 'tệp')} ({_size(size)})"
        return str(value)
    if f.type == "choice":
        return next((label for label, v in f.options if v == value), str(value))
    if f.type == "integer":
        return thousands(int(value))
    return str(value)


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB".replace(".", ",")
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} byte"


def label(f: FieldSpec) -> str:
    """The field's label for a line that shows a value: "Kinh phí đã sử dụng" rather than
    "Kinh phí đã sử dụng (đồng): 150.000.000 đồng"."""
    if f.type == "money":
        return re.sub(r"\s*\((?:đồng|vnđ|vnd)\)\s*$", "", f.label, flags=re.I) or f.label
    return f.label


def summary(
    form: FormSpec,
    answers: dict[str, Any],
    *,
    header: str = "",
    limit: int = 300,
    missing: str = "(không có)",
) -> str:
    """One line per field; long texts are shortened (the full text is stored).  ``missing`` is shown for a
    field that has no answer yet (quick reporting: "(chưa có)")."""
    lines = [header] if header else []
    for i, f in enumerate(form.fields, 1):
        shown = display(f, answers.get(f.key)) if f.key in answers else missing
        if len(shown) > limit:
            shown = shown[: limit - 1].rstrip() + "…"
        lines.append(f"{i}. {label(f)}: {shown}")
    return "\n".join(lines)
