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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.messages import Attachment, Choice, Reply
from bot.money import MoneyError, format_vnd, parse_vnd

TYPES = ("year", "integer", "text", "money", "file", "choice")
SKIP_VALUE = "skip"
SKIP_LABEL = "Bỏ qua"
# Typed answers that mean "nothing to declare" for an optional field (compared folded).
SKIP_WORDS = ("bo qua", "khong", "khong co", "ko", "k", "-", "skip", "khong co gi")
DEFAULT_MAX_TEXT = 2000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
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
def parse_form(raw: dict[str, Any]) -> FormSpec:
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list) or not raw["fields"]:
        raise FormError("report form: 'fields' must be a non-empty list")
    fields: list[FieldSpec] = []
    seen: set[str] = set()
    for i, f in enumerate(raw["fields"]):
        if not isinstance(f, dict):
            raise FormError(f"report form: field {i} is not a mapping")
        key, ftype = str(f.get("key", "")), str(f.get("type", ""))
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key):
            raise FormError(f"report form: field {i} has an invalid key {key!r}")
        if key in seen:
            raise FormError(f"report form: key {key!r} used twice")
        if ftype not in TYPES:
            raise FormError(
                f"report form: field {key!r} has unknown type {ftype!r} (known: {', '.join(TYPES)})"
            )
        seen.add(key)
        options = tuple((str(o["label"]), str(o["value"])) for o in f.get("options", []) or [])
        if ftype == "choice" and not options:
            raise FormError(f"report form: choice field {key!r} needs options")
        fields.append(
            FieldSpec(
                key=key,
                type=ftype,
                label=str(f.get("label") or key),
                prompt=str(f.get("prompt") or f.get("label") or key),
                help=str(f.get("help") or ""),
                required=bool(f.get("required", True)),
                min=f.get("min"),
                max=f.get("max"),
                min_length=int(f.get("min_length", 1)),
                max_length=int(f.get("max_length", DEFAULT_MAX_TEXT)),
                options=options,
            )
        )
    period = raw.get("period") or [2021, 2025]
    return FormSpec(
        name=str(raw.get("name") or "report"),
        title=str(raw.get("title") or "Báo cáo"),
        fields=tuple(fields),
        period=(int(period[0]), int(period[-1])),
        intro=str(raw.get("intro") or "").strip(),
        keys=tuple(f.key for f in fields),
    )


def load_form(pack: Any, name: str = "report_form.yaml") -> FormSpec:
    """The pack's report form: ``pack.raw(name)``, else the file in the pack's folder."""
    raw = None
    getter = getattr(pack, "raw", None)
    if callable(getter):
        raw = getter(name)
    if raw is None:
        folder = getattr(pack, "folder", None) or getattr(pack, "path", None)
        if folder is None:
            folder = Path(__file__).resolve().parent.parent / "knowledge" / "packs" / "5500-UBND-NC"
        raw = yaml.safe_load((Path(folder) / name).read_text(encoding="utf-8"))
    return parse_form(raw)


# ---------------------------------------------------------------- asking
def _fold(text: str) -> str:
    from knowledge.normalize import fold

    return fold(text)


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
    """Whether a typed number is an answer (not "choice number N")."""
    return f.type in ("integer", "text", "money", "file")


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
    return (text is not None and _fold(text) in SKIP_WORDS) or (text or "").strip() == "-"


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
    if choice is not None and choice == SKIP_VALUE:
        raise FieldError("Mục này bắt buộc, không bỏ qua được.")
    raw = choice if choice is not None else text
    if f.type == "file":
        if attachments:
            if save_file is None:
                raise FieldError("Không lưu được tệp.")
            try:
                return save_file(attachments[0])
            except ValueError as exc:
                raise FieldError(str(exc)) from exc
        raise FieldError("Vui lòng gửi một tệp hoặc ảnh" + ("." if f.required else ", hoặc chọn Bỏ qua."))
    if raw is None or not raw.strip():
        raise FieldError("Chưa có câu trả lời." + ("" if f.required else " Chọn Bỏ qua nếu không có."))
    raw = raw.strip()
    if f.type == "year":
        return _year(raw, years or [])
    if f.type == "integer":
        return _integer(f, raw)
    if f.type == "money":
        try:
            return parse_vnd(raw)
        except MoneyError as exc:
            raise FieldError(str(exc)) from exc
    if f.type == "choice":
        for label, value in f.options:
            if raw == value or _fold(raw) == _fold(label):
                return value
        raise FieldError("Vui lòng chọn một trong các lựa chọn.")
    return _text(f, raw)


def _year(raw: str, years: list[int]) -> int:
    digits = re.sub(r"\D", "", raw) if re.fullmatch(r"\s*(?:năm|nam)?\s*\d{4}\s*", raw, re.I) else raw
    if not digits.isdecimal():
        raise FieldError("Năm phải là số có 4 chữ số, ví dụ 2024.")
    year = int(digits)
    if year not in years:
        span = f"{years[0]}–{years[-1]}" if years else "(chưa mở năm nào)"
        raise FieldError(f"Năm {year} chưa được mở để báo cáo. Các năm đang mở: {span}.")
    return year


def _integer(f: FieldSpec, raw: str) -> int:
    m = _INT.match(raw)
    if not m:
        raise FieldError("Cần một số nguyên, ví dụ 5.")
    digits = re.sub(r"[.,\s]", "", m.group(2))
    if len(digits) > 15:
        raise FieldError("Số quá lớn, vui lòng kiểm tra lại.")
    value = int(digits)
    if m.group(1) == "-":
        value = -value
    if f.min is not None and value < f.min:
        raise FieldError(f"Số phải lớn hơn hoặc bằng {f.min}.")
    if f.max is not None and value > f.max:
        raise FieldError(f"Số quá lớn (tối đa {f.max:,}).".replace(",", "."))
    return value


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _text(f: FieldSpec, raw: str) -> str:
    text = clean_text(raw)
    if not any(ch.isalnum() for ch in text):
        raise FieldError("Nội dung cần có chữ hoặc số (không chỉ biểu tượng, dấu câu).")
    if len(text) > f.max_length:
        n, limit = _thousands(len(text)), _thousands(f.max_length)
        raise FieldError(f"Nội dung quá dài ({n} ký tự), tối đa {limit} ký tự. Vui lòng rút gọn.")
    if len(text) < f.min_length:
        raise FieldError(f"Nội dung quá ngắn (ít nhất {f.min_length} ký tự).")
    return text


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
        return f"{int(value):,}".replace(",", ".")
    return str(value)


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB".replace(".", ",")
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} byte"


def summary(form: FormSpec, answers: dict[str, Any], *, header: str = "", limit: int = 300) -> str:
    """One line per field; long texts are shortened (the full text is stored)."""
    lines = [header] if header else []
    for i, f in enumerate(form.fields, 1):
        shown = display(f, answers.get(f.key))
        if len(shown) > limit:
            shown = shown[: limit - 1].rstrip() + "…"
        lines.append(f"{i}. {f.label}: {shown}")
    return "\n".join(lines)
