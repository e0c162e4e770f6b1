"""Quick reporting: a whole report pasted in one message, or the unit's own report document.

Officials often have the report written already.  :func:`parse_message` finds the form's fields in
a text by their headings ("Số mô hình: 5", "Khó khăn, vướng mắc: …"; headings are matched to the
form's labels by their words, diacritics optional) and by a few plain patterns ("năm 2024",
"7 mô hình", "kinh phí … 150 triệu"); :func:`parse_document` does the same on the text of a
.docx/.pdf/.txt (``knowledge.ingest.reader.extract_text``).  :func:`validate` runs each value
through the form's own checks, so what is filled is exactly what the step-by-step form would
accept; the report handler then asks only for what is missing.
"""

from __future__ import annotations

import re
from typing import Any

from bot import forms
from bot.messages import Attachment
from bot.text import fold

HINT = (
    "Mẹo: bạn có thể dán cả báo cáo trong một tin nhắn (mỗi mục một dòng, ví dụ “Số mô hình: 5”), "
    "hoặc gửi tệp báo cáo của đơn vị (.docx, .pdf): bot tự điền những gì đọc được rồi chỉ hỏi phần còn thiếu."
)
MIN_FIELDS = 2  # a pasted message counts as a whole report when it names at least this many fields
MIN_OVERLAP = 0.6

_HEADING = re.compile(r"^\s*(?:[-•*+]|\d{1,2}[.)]|[a-zđ][.)])?\s*([^:：\n]{2,80}?)\s*[:：]\s*(.*)$", re.I)
_YEAR = re.compile(r"\bn[aă]m\s+(20\d\d)\b", re.I)
_COUNT = re.compile(r"\b(\d{1,6})\s+(?:mô hình|mo hinh)\b", re.I)
_MONEY = re.compile(
    r"kinh ph[ií][^\n\d]{0,40}?(\d[\d.,]*\s*(?:tỷ|ty|triệu|trieu|nghìn|nghin|đồng|dong|đ)?)", re.I
)


def _words(text: str) -> set[str]:
    return {w for w in fold(text).split() if not w.isdigit()}


def match_heading(form: forms.FormSpec, heading: str) -> str | None:
    """The field whose label the heading names ("Kết quả" -> results), or None."""
    h = _words(heading)
    if not h:
        return None
    best: tuple[float, float, str] | None = None
    for f in form.fields:
        label = _words(f.label)
        shared = h & label
        if not shared or max(len(w) for w in shared) < 2:
            continue
        score = (len(shared) / len(h), len(shared) / len(label), f.key)
        if score[0] >= MIN_OVERLAP and (best is None or score[:2] > best[:2]):
            best = score
    return best[2] if best else None


def parse_message(form: forms.FormSpec, text: str) -> dict[str, str]:
    """Field key -> the raw text given for it (headings first, then the plain patterns)."""
    if not text or ("\n" not in text.strip() and text.count(":") < MIN_FIELDS):
        return {}
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        m = _HEADING.match(line)
        key = match_heading(form, m.group(1)) if m else None
        if m and key is not None:
            current = key
            found.setdefault(key, [])
            if m.group(2).strip():
                found[key].append(m.group(2).strip())
        elif current is not None and line.strip():
            found[current].append(line.strip())
    out = {k: "\n".join(v).strip() for k, v in found.items() if "\n".join(v).strip()}
    _patterns(form, text, out)
    return out


def _patterns(form: forms.FormSpec, text: str, out: dict[str, str]) -> None:
    by_type: dict[str, str] = {}
    for f in form.fields:
        by_type.setdefault(f.type, f.key)
    if "year" in by_type and by_type["year"] not in out and (m := _YEAR.search(text)):
        out[by_type["year"]] = m.group(1)
    if "integer" in by_type and by_type["integer"] not in out and (m := _COUNT.search(text)):
        out[by_type["integer"]] = m.group(1)
    if "money" in by_type and by_type["money"] not in out and (m := _MONEY.search(text)):
        out[by_type["money"]] = m.group(1)


def parse_document(form: forms.FormSpec, att: Attachment) -> tuple[dict[str, str], str]:
    """(fields found, a note for the user) from an attached report document."""
    try:
        from knowledge.ingest.reader import ReadError, extract_text
    except ImportError:  # the reader is not installed: plain text files only
        if not att.filename.lower().endswith((".txt", ".md")):
            return {}, f"(Chưa đọc được nội dung tệp {att.filename}.)"
        text = att.data.decode("utf-8", errors="replace")
    else:
        try:
            text = extract_text(att.data, att.filename)
        except ReadError as exc:
            return {}, f"({exc})"
    found = parse_message(form, text if "\n" in text else text + "\n")
    return found, ""


def validate(
    form: forms.FormSpec, found: dict[str, Any], years: list[int]
) -> tuple[dict[str, Any], list[str]]:
    """(values the form accepts, problems) — each raw value through the field's own checks."""
    accepted: dict[str, Any] = {}
    problems: list[str] = []
    for key, raw in found.items():
        f = form.field(key)
        if f.type == "file":
            if isinstance(raw, dict):
                accepted[key] = raw
            continue
        try:
            accepted[key] = forms.accept(f, text=str(raw), choice=None, years=years)
        except forms.FieldError as exc:
            problems.append(f"Mục “{forms.label(f)}” chưa dùng được: {exc}")
    return accepted, problems
