"""The document's header: issuer and parent body, number and symbol, place and date, type, subject, the
authority line of a decision ("CHỦ TỊCH ỦY BAN NHÂN DÂN ..."), and where the body starts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.ingest.dates import date_text, place_and_date
from knowledge.ingest.lines import STRUCTURAL, is_motto
from knowledge.ingest.text import Recaser, capitalize, collapse, fold, is_upper, vocab

_NUMBER = re.compile(
    r"Số\s*(?:hiệu)?\s*[:.]?\s*(\d+[A-Za-z]?)\s*([/-])\s*((?:\d{4}\s*/\s*)?[\wĐđ&.\-/]+)", re.UNICODE
)
_VV = re.compile(r"^\s*(?:V/v|V/V|Về việc)\s*[:.]?\s*(.+)$", re.S)


@dataclass
class Header:
    issuer_lines: list[str] = field(default_factory=list)
    parent_lines: list[str] = field(default_factory=list)
    number: str = ""
    number_short: str = ""
    symbol: str = ""
    place: str = ""
    date: tuple[int, int, int] | None = None
    date_line: str = ""
    kind: str = ""
    kind_line: str = ""
    title_lines: list[str] = field(default_factory=list)
    subject_line: str = ""  # "V/v ..." verbatim
    authority: str = ""
    body_start: int = 0  # index of the first body line
    number_line: str = ""
    problems: list[str] = field(default_factory=list)

    def meta(self, recaser: Recaser) -> dict[str, object]:
        issuer_raw = collapse(" ".join(self.issuer_lines))
        parent_raw = collapse(" ".join(self.parent_lines))
        issuer = recaser.recase(issuer_raw) if issuer_raw else ""
        subject = _subject(self, recaser)
        meta: dict[str, object] = {
            "number": self.number,
            "number_short": self.number_short,
            "symbol": self.symbol,
            "kind": self.kind,
            "date": date_text(*self.date) if self.date else "",
            "date_text": self.date_line,
            "place": self.place,
            "issuer": issuer,
            "issuer_text": issuer_raw,
            "parent": recaser.recase(parent_raw) if parent_raw else "",
            "subject": subject,
        }
        if self.authority:
            meta["authority"] = recaser.recase(self.authority)
        if self.title_lines:
            meta["title"] = recaser.recase(collapse(" ".join(self.title_lines)))
        province = _province(issuer_raw + " " + parent_raw, recaser) or self.place
        if province:
            meta["province"] = province
        if self.date:
            meta["year"] = self.date[2]
        return {k: v for k, v in meta.items() if v not in ("", None)}


def _subject(h: Header, recaser: Recaser) -> str:
    if h.subject_line:
        m = _VV.match(h.subject_line)
        return capitalize(collapse(m.group(1) if m else h.subject_line))
    if not h.title_lines:
        return ""
    title = recaser.recase(collapse(" ".join(h.title_lines)))
    title = re.sub(r"^(?:về việc|v/v|về)\s+", "", title, flags=re.I)
    return capitalize(title)


def _province(text: str, recaser: Recaser) -> str:
    m = re.search(r"\b(TỈNH|THÀNH PHỐ|Tỉnh|Thành phố|tỉnh|thành phố)\s+([^\n,;]+)$", text.strip())
    if not m:
        return ""
    name = recaser.recase(m.group(2).strip()) if is_upper(m.group(2)) else m.group(2).strip()
    return capitalize(name)


def _type_of(line: str) -> str | None:
    f = fold(line).strip(" :.")
    for kind in vocab()["types"]:
        if f == fold(kind):
            return kind
    return None


def type_from_symbol(symbol: str) -> str:
    code = re.split(r"[-/]", symbol)[0] if symbol else ""
    code_f = fold(code)
    for kind, codes in vocab()["types"].items():
        if any(code_f == fold(c) for c in codes):
            return kind
    return str(vocab()["default_type"])


def _is_body_start(line: str) -> bool:
    f = fold(line)
    if f.startswith("kinh gui"):
        return True
    if not is_upper(_drop_note(line)) and any(f.startswith(g) for g in vocab()["grounds"]):  # titles too
        return True
    return bool(STRUCTURAL.match(line)) and not f.startswith(("so:", "so ", "v/v"))


def parse_header(lines: list[str]) -> Header:
    """Read the header from the first lines; ``body_start`` is the first line after it."""
    h = Header()
    limit = min(len(lines), 60)
    i = 0
    # 1. issuer block: upper-case lines before "Số:" / the date / the type (motto lines skipped)
    issuer: list[str] = []
    while i < limit:
        line = lines[i]
        if not line or is_motto(line):
            i += 1
            continue
        if _NUMBER.search(line) or place_and_date(line) or _type_of(line) or _VV.match(line):
            break
        if not is_upper(line) or _is_body_start(line):
            break
        issuer.append(line)
        i += 1
    _split_issuer(h, issuer)
    # 2. number, V/v, place-date, in any order, until the type line or the body
    while i < limit:
        line = lines[i]
        if not line or is_motto(line):
            i += 1
            continue
        found = False
        m = _NUMBER.search(line)
        if m and not h.number:
            _set_number(h, m)
            h.number_line = line
            found = True
        pd = place_and_date(line)
        if pd and not h.date:
            h.place, h.date, h.date_line = pd
            found = True
        vv = re.search(r"(V/v|V/V)\s*[:.]?\s*(.+)$", line)
        if vv and not h.subject_line:
            h.subject_line = vv.group(0)
            found = True
            i = _continue_subject(h, lines, i + 1, limit) - 1
        if found:
            i += 1
            continue
        break
    # 3. type line and the title under it
    if i < limit and _type_of(lines[i]) and not lines[i].rstrip().endswith(":"):
        h.kind = _type_of(lines[i]) or ""
        h.kind_line = lines[i]
        i += 1
        i = _read_title(h, lines, i, limit)
    if not h.kind:
        h.kind = type_from_symbol(h.symbol)
    # 4. whatever header line is left before the body (the date may come after the title in some layouts)
    while i < limit and lines[i] == "":
        i += 1
    h.body_start = i
    _report_problems(h)
    return h


def _split_issuer(h: Header, issuer: list[str]) -> None:
    """Continuation lines ("TỈNH QUẢNG NGÃI") belong to the line above; otherwise the first body is the
    parent ("BỘ TÀI CHÍNH" above "CỤC THUẾ")."""
    groups: list[list[str]] = []
    levels = tuple(vocab()["place_levels"])
    for line in issuer:
        f = fold(line)
        if groups and (f.startswith(levels) or len(f.split()) <= 2 or fold(groups[-1][-1]).endswith(" va")):
            groups[-1].append(line)
        else:
            groups.append([line])
    if not groups:
        return
    h.issuer_lines = groups[-1]
    h.parent_lines = [x for g in groups[:-1] for x in g]


def _set_number(h: Header, m: re.Match[str]) -> None:
    num, sep, rest = m.group(1), m.group(2), m.group(3).strip(" .,;")
    rest = re.sub(r"\s+", "", rest)
    h.number = f"{num}{sep}{rest}"
    h.number_short = num
    h.symbol = re.sub(r"^\d{4}/", "", rest)


def _continue_subject(h: Header, lines: list[str], i: int, limit: int) -> int:
    """A subject wrapped over several lines (docx/pdf layouts) ends at a blank line or a header field."""
    while i < limit and lines[i] and not _NUMBER.search(lines[i]) and not place_and_date(lines[i]):
        if _is_body_start(lines[i]) or is_motto(lines[i]) or is_upper(lines[i]):
            break
        h.subject_line += " " + lines[i]
        i += 1
    return i


def _is_authority(line: str) -> bool:
    f = fold(line)
    return f.startswith(
        (
            "chu tich",
            "uy ban nhan dan",
            "hoi dong nhan dan",
            "bo truong",
            "giam doc",
            "thu tuong",
            "truong ban",
            "ban chi dao",
            "ban thuong vu",
            "ban chap hanh",
            "cuc truong",
            "tong cuc",
        )
    )


def _read_title(h: Header, lines: list[str], i: int, limit: int) -> int:
    while i < limit and lines[i] == "":
        i += 1
    while i < limit:
        line = lines[i]
        if line == "":
            # a blank inside a title: continue only when an upper-case non-authority line follows
            j = i + 1
            while j < limit and lines[j] == "":
                j += 1
            if (
                j < limit
                and h.title_lines
                and is_upper(lines[j])
                and not _is_authority(lines[j])
                and not (_type_of(lines[j]))
                and not _is_body_start(lines[j])
            ):
                i = j
                continue
            i = j
            break
        if not h.title_lines and re.match(r"^\s*(V/v|Về việc|VỀ VIỆC|V/V)", line):
            h.title_lines.append(line)
            i += 1
            continue
        if (
            is_upper(_drop_note(line))
            and not _is_authority(line)
            and not _is_body_start(line)
            and not (h.title_lines and _type_of(line))
        ):
            h.title_lines.append(line)
            i += 1
            continue
        if (line.startswith("(") or fold(line).startswith("ban hanh kem theo")) and h.title_lines:
            h.title_lines.append(
                line
            )  # "(Ban hành kèm theo Quyết định số ...)" under an attached plan's title
            i += 1
            continue
        break
    # the authority line of a decision ("CHỦ TỊCH ỦY BAN NHÂN DÂN ...")
    while i < limit and lines[i] == "":
        i += 1
    if i < limit and is_upper(lines[i]) and _is_authority(lines[i]) and not lines[i].endswith(":"):
        h.authority = lines[i]
        i += 1
    if not h.date:  # some layouts put "…, ngày … tháng … năm …" under the title
        for j in range(i, min(i + 3, limit)):
            pd = place_and_date(lines[j]) if lines[j] else None
            if pd:
                h.place, h.date, h.date_line = pd
                i = j + 1
                break
    return i


def _drop_note(line: str) -> str:
    """A title line may end with "(Ban hành kèm theo Quyết định số …)" in mixed case."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", line) or line


def _report_problems(h: Header) -> None:
    if not h.number:
        h.problems.append("không thấy số, ký hiệu văn bản (dòng “Số: …/…”)")
    if not h.date:
        h.problems.append("không thấy địa danh, ngày tháng năm ban hành")
    if not h.issuer_lines:
        h.problems.append("không thấy tên cơ quan ban hành ở đầu văn bản")
    if not (h.subject_line or h.title_lines):
        h.problems.append("không thấy trích yếu (V/v …) hoặc tên văn bản dưới tên loại")
