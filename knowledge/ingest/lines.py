"""Text -> logical lines (paragraphs): hard-wrapped lines joined, header cells split apart.

PDF text and some Markdown copies break a paragraph into visual lines; docx header tables put the issuer and
the national motto on one line.  The parser works on paragraphs, so a line is joined to the previous one
when it continues it (starts in lower case, or the previous one does not end a sentence and this one does
not start a new structural element), and the motto is cut out of the line it shares with the issuer.
"""

from __future__ import annotations

import re

from knowledge.ingest.text import fold, is_upper

# a line that starts a new element: numbering, bullets, articles, parts, grounds, header fields
STRUCTURAL = re.compile(
    r"^\s*(?:[-–•+*]\s|\d+(?:\.\d+)*\s*[.)/]\s*|[a-zđ]\s*\)|[IVXLC]+\s*[.)\-–]\s|[A-H]\s*[.)]\s|"
    r"(?:Điều|Chương|CHƯƠNG|Phần|PHẦN|Mục|MỤC)\s+[\dIVXLC]|Căn cứ|Số\s*[:.]|Kính gửi|Nơi nhận|V/v|"
    r"(?:TM|KT|TL|TUQ|Q|T/M)\.\s)",
)
_MOTTO = re.compile(
    r"C[ỘO]NG\s+H[ÒOÀ]A\s+X[ÃA]\s+H[ỘO]I\s+CH[ỦU]\s+NGH[ĨI]A\s+VI[ỆE]T\s+NAM|"
    r"Độc\s+lập\s*[-–]\s*Tự\s+do\s*[-–]\s*Hạnh\s+phúc",
    re.I,
)
_END = (".", ";", ":", "!", "?", "./.", ")", "”", '"')


def split_motto(line: str) -> list[str]:
    """``"ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI ..."`` -> ``["ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI ..."]``."""
    parts: list[str] = []
    pos = 0
    for m in _MOTTO.finditer(line):
        if line[pos : m.start()].strip():
            parts.append(line[pos : m.start()].strip())
        parts.append(m.group(0).strip())
        pos = m.end()
    if line[pos:].strip():
        parts.append(line[pos:].strip())
    return parts or [line]


def _continues(prev: str, line: str) -> bool:
    if not prev or STRUCTURAL.match(line):
        return False
    first = line.lstrip()[:1]
    if is_upper(prev) != is_upper(line):
        return False
    if is_upper(prev):  # a wrapped upper-case title: long line continued by another upper-case line
        return len(prev) >= 45 and not _MOTTO.search(line) and not _MOTTO.search(prev)
    if prev.rstrip().endswith(_END):
        return False
    return first.islower() or first.isdigit() or first in "(“\"'"


def logical_lines(text: str) -> list[str]:
    """Paragraphs of ``text`` in order; an empty string marks a blank line (kept: it separates blocks)."""
    out: list[str] = []
    for raw in text.split("\n"):
        for line in split_motto(raw.replace("\t", "  ").strip()) if raw.strip() else [""]:
            if line and out and out[-1] and _continues(out[-1], line):
                out[-1] = out[-1].rstrip() + " " + line.strip()
            else:
                out.append(line)
    return out


def is_motto(line: str) -> bool:
    return bool(_MOTTO.fullmatch(line.strip())) or fold(line).strip(" .") in ("doc lap - tu do - hanh phuc",)
