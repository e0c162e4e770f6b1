"""Dates, deadlines, frequencies and periods in Vietnamese administrative text."""

from __future__ import annotations

import re

from knowledge.ingest.text import fold, vocab

_D = r"\d{1,2}"
_DATE_WORDS = re.compile(rf"ngày\s+({_D})\s+tháng\s+({_D})\s+năm\s+(\d{{4}})", re.I)
_DATE_SLASH = re.compile(rf"(?<![\d/])({_D})\s*/\s*({_D})\s*/\s*(\d{{4}})(?![\d/])")
_PLACE_DATE = re.compile(
    rf"(?:^|\n|\s{{2,}}|^\W*)([A-ZĐÀ-Ỹ][\wÀ-ỹ .-]{{1,40}}?)\s*,\s*ngày\s+({_D})\s+tháng\s+({_D})\s+năm\s+(\d{{4}})"
)
# Deadlines: verbatim phrases.  Order matters: longer forms first.
_DEADLINES = [
    rf"(?:trước|chậm nhất|hạn chót|hoàn thành trước|xong trước|trong)\s+(?:ngày\s+)?{_D}\s*(?:/\s*{_D}(?:\s*/\s*\d{{4}})?|"
    rf"\s+tháng\s+{_D}(?:\s+năm\s+\d{{4}})?)",
    rf"(?:trước|chậm nhất)\s+ngày\s+{_D}\s+(?:của\s+)?tháng\s+(?:cuối|đầu)\s+(?:quý|năm|kỳ)",
    r"(?:trước|chậm nhất|trong)\s+(?:ngày\s+)?\d{1,2}\s+(?:hằng|hàng)\s+(?:tháng|quý|năm)",
    r"(?:trong|từ|đến|trước)\s+(?:tháng|quý)\s+(?:\d{1,2}|[IV]+)(?:\s*,\s*\d{1,2})*\s*/\s*\d{4}",
    r"(?:[Tt]háng|[Qq]uý)\s+(?:\d{1,2}|[IV]+)(?:\s*,\s*\d{1,2})*\s*/\s*\d{4}",
    r"(?:trong|trước|từ|đến|cuối|đầu)\s+năm\s+\d{4}",
    r"(?:[Tt]ừ|[Kk]ể từ)\s+ngày\s+(?:ký|ban hành|\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})",
    r"(?:[Tt]ừ)\s+năm\s+\d{4}\s+(?:đến|tới)\s+năm\s+\d{4}",
    r"trong\s+(?:thời hạn\s+)?\d{1,3}\s+ngày(?:\s+làm việc)?(?:\s+kể từ[^,.;]{0,40})?",
]
_DEADLINE_RE = re.compile("|".join(f"(?:{p})" for p in _DEADLINES))
_PERIOD = re.compile(r"giai đoạn\s+(\d{4})\s*[-–]\s*(\d{4})", re.I)
_UNTIL = re.compile(r"(?:từ nay )?đến năm\s+(\d{4})(?:\s+và những năm tiếp theo)?", re.I)


def date_text(d: int, m: int, y: int) -> str:
    return f"{d:02d}/{m:02d}/{y}"


def parse_date(text: str) -> tuple[int, int, int] | None:
    """The first date in ``text`` ("ngày 28 tháng 6 năm 2014" or "28/6/2014")."""
    m = _DATE_WORDS.search(text) or _DATE_SLASH.search(text)
    if not m:
        return None
    d, mo, y = (int(x) for x in m.groups())
    if not (1 <= d <= 31 and 1 <= mo <= 12 and 1900 <= y <= 2100):
        return None
    return d, mo, y


def place_and_date(text: str) -> tuple[str, tuple[int, int, int], str] | None:
    """``"Hà Nội, ngày 11 tháng 11 năm 2013"`` -> ("Hà Nội", (11, 11, 2013), verbatim)."""
    m = _PLACE_DATE.search(text)
    if m:
        place = m.group(1).strip(" .-")
        d, mo, y = int(m.group(2)), int(m.group(3)), int(m.group(4))
        if 1 <= d <= 31 and 1 <= mo <= 12:
            return place, (d, mo, y), m.group(0).strip()
    m2 = _DATE_WORDS.search(text)
    if m2:
        d, mo, y = (int(x) for x in m2.groups())
        if 1 <= d <= 31 and 1 <= mo <= 12:
            return "", (d, mo, y), m2.group(0)
    return None


def deadlines(text: str) -> list[str]:
    """Verbatim deadline and frequency phrases of a passage, in order, without repeats."""
    found: list[tuple[int, str]] = []
    for m in _DEADLINE_RE.finditer(text):
        found.append((m.start(), m.group(0).strip()))
    folded = fold(text)
    lowered = text.lower()
    for phrase in vocab()["frequencies"]:
        i = lowered.find(phrase)
        if i >= 0 and not any(s <= i < s + len(p) for s, p in found):
            found.append((i, text[i : i + len(phrase)]))
    del folded
    found.sort()
    out: list[str] = []
    for _, phrase in found:
        if not any(phrase in o or fold(phrase) == fold(o) for o in out):
            out = [o for o in out if o not in phrase]
            out.append(phrase)
    return out


def period(*texts: str) -> dict[str, object] | None:
    """``giai đoạn 2021 - 2025`` (or "từ nay đến năm 2020") in the first text that has one."""
    for text in texts:
        m = _PERIOD.search(text or "")
        if m:
            start, end = int(m.group(1)), int(m.group(2))
            if start <= end:
                return {"start": start, "end": end, "text": m.group(0)}
    return None


def until(text: str, start_year: int | None) -> dict[str, object] | None:
    m = _UNTIL.search(text or "")
    if m and start_year and int(m.group(1)) >= start_year:
        return {"start": start_year, "end": int(m.group(1)), "text": m.group(0)}
    return None
