"""Documents the text refers to: "Quyết định số 1237/QĐ-TTg ngày 27 tháng 7 năm 2013 của Thủ tướng Chính phủ
về ...", "Chỉ thị số 24-CT/TW", "Luật Ngân sách nhà nước ngày 16/12/2002", "Quyết định 1395"."""

from __future__ import annotations

import re

from knowledge.ingest.dates import date_text, parse_date
from knowledge.ingest.text import collapse, fold

_KINDS = (
    r"Luật|Bộ luật|Nghị quyết|Nghị định|Quyết định|Chỉ thị|Thông tư liên tịch|Thông tư|Kế hoạch|Công văn|"
    r"Thông báo|Hướng dẫn|Chương trình|Đề án|Kết luận|Công điện|Văn bản|Báo cáo|Tờ trình"
)
_NUM = r"\d+[A-Za-z]?(?:\s*/\s*\d{4})?\s*[/-]\s*[\wĐđ&.\-/]*[\wĐđ]|\d{2,6}(?![\d/])"
_REF = re.compile(
    rf"(?P<kind>{_KINDS})\s+(?:liên tịch\s+)?(?:số\s*:?\s*)?(?P<num>{_NUM})"
    r"(?P<date>\s+ngày\s+(?:\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}))?"
    r"(?P<rest>[^;.\n]{0,300})",
    re.UNICODE,
)
_LAW = re.compile(
    r"(?P<kind>Luật|Bộ luật)\s+(?P<name>(?:[A-ZĐÀ-Ỹ][\wÀ-ỹ]*\s*)(?:[\wÀ-ỹ]+\s*){0,10}?)"
    r"\s*(?:ngày|số|năm)\s+(?P<date>\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}|\d{4})"
)
_ISSUER = re.compile(
    r"^\s*(?:,\s*)?của\s+(.+?)(?=\s+(?:về|ban hành|hướng dẫn|quy định|phê duyệt|sửa đổi|"
    r"v/v)\b|[,(“\"]|$)",
    re.I,
)
_TITLE = re.compile(r"\s*(?:về việc|về|v/v|ban hành|hướng dẫn|quy định|phê duyệt|sửa đổi)\b.*", re.I)


def short_number(number: str) -> str:
    m = re.match(r"\d+", number)
    return m.group(0) if m else number


def find_documents(passages: list[dict[str, object]], own_number: str = "") -> list[dict[str, object]]:
    """Referenced documents, first full mention wins; each with the passage and a verbatim quote."""
    docs: dict[str, dict[str, object]] = {}
    own = fold(own_number)
    for p in passages:
        text = collapse(str(p["text"]))
        for m in _REF.finditer(text):
            number = re.sub(r"\s+", "", m.group("num"))
            if not number or fold(number) == own or (number.isdigit() and len(number) < 2):
                continue
            if (
                "/" not in number
                and "-" not in number
                and m.group("kind")
                not in ("Quyết định", "Chỉ thị", "Kế hoạch", "Công văn", "Nghị quyết", "Thông tư")
            ):
                continue
            key = fold(number) if ("/" in number or "-" in number) else short_number(number)
            doc = docs.get(key) or _merge_short(docs, number)
            date = parse_date(m.group("date") or "")
            rest = m.group("rest") or ""
            issuer_m = _ISSUER.match(rest)
            title_m = _TITLE.match(rest[issuer_m.end() :] if issuer_m else rest)
            quote = collapse(m.group(0))[:300]
            if doc is None:
                doc = {
                    "id": number,
                    "number": number,
                    "kind": m.group("kind").lower(),
                    "aliases": sorted({number, short_number(number)}),
                    "source": {"passage": p["id"], "quote": quote},
                    "passages": [],
                }
                docs[key] = doc
            if date and "date" not in doc:
                doc["date"] = date_text(*date)
            if issuer_m and "issuer" not in doc:
                doc["issuer"] = collapse(issuer_m.group(1)).rstrip(" ,")
            if title_m and "title" not in doc and len(title_m.group(0).strip()) > 8:
                doc["title"] = collapse(title_m.group(0)).strip(" ,;:")
            if p["id"] not in doc["passages"]:  # type: ignore[operator]
                doc["passages"].append(p["id"])  # type: ignore[union-attr,attr-defined]
        for m in _LAW.finditer(text):
            name = collapse(f"{m.group('kind')} {m.group('name')}")
            key = fold(name)
            if key in docs:
                continue
            docs[key] = {
                "id": name,
                "number": "",
                "kind": m.group("kind").lower(),
                "title": name,
                "aliases": [name],
                "source": {"passage": p["id"], "quote": collapse(m.group(0))},
                "passages": [p["id"]],
            }
            date = parse_date(m.group("date"))
            if date:
                docs[key]["date"] = date_text(*date)
    return list(docs.values())


def _merge_short(docs: dict[str, dict[str, object]], number: str) -> dict[str, object] | None:
    """ "Quyết định 1395" after "Quyết định số 1395/QĐ-UBND" is the same document."""
    if "/" in number or "-" in number:
        short = short_number(number)
        doc = docs.pop(short, None)
        if doc is not None:
            doc["number"] = doc["id"] = number
            doc["aliases"] = sorted({number, short})
            docs[fold(number)] = doc
        return doc
    for d in docs.values():
        if short_number(str(d["number"])) == number:
            return d
    return None
