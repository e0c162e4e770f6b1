"""Turn an uploaded file into plain text: ``extract_text(data, filename) -> str``.

Supported: ``.md`` / ``.txt`` (UTF-8, with or without BOM; UTF-16 with BOM), ``.docx`` (python-docx:
paragraphs and tables in document order) and ``.pdf`` with a text layer (pypdf).  The result is NFC,
``\\n`` line ends, no NUL or control characters, Markdown emphasis / headings / table pipes / HTML comments
removed, so the parser and any other caller (quick reporting) see the same plain text.

Why pypdf rather than pdfminer.six: pure Python with no dependencies, ~3x faster to import and to read the
short text PDFs officials send (a 10-page directive in well under a second on these cores), maintained, and
its text order is the content-stream order, which for office-generated PDFs is the reading order.  pdfminer's
layout analysis helps with multi-column layouts, which administrative documents do not use.

Errors are :class:`ReadError` with a Vietnamese message naming the file: unsupported type, damaged file,
encrypted PDF, scanned PDF (no text layer), empty text.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from pathlib import PurePath

__all__ = ["SUPPORTED", "ReadError", "extract_text"]

SUPPORTED = (".md", ".txt", ".docx", ".pdf")
_TEXT = (".md", ".markdown", ".txt", ".text")


class ReadError(ValueError):
    """The file cannot be turned into text; the message (Vietnamese) says why and what to do."""


def extract_text(data: bytes, filename: str) -> str:
    """Plain text of ``data`` (the file's bytes); the kind comes from the content, else from the name."""
    name = PurePath(filename or "tệp").name or "tệp"
    if not data:
        raise ReadError(f"Tệp {name} trống (0 byte).")
    kind = _kind(data, name)
    if kind == "pdf":
        text = _pdf_text(data, name)
    elif kind == "docx":
        text = _docx_text(data, name)
    elif kind == "md":
        text = _markdown_to_text(_decode(data, name))
    else:
        text = _decode(data, name)
    text = _clean(text)
    if not text.strip():
        raise ReadError(f"Tệp {name} không có nội dung chữ.")
    return text


# -- kind --
def _kind(data: bytes, name: str) -> str:
    ext = PurePath(name).suffix.lower()
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        if ext in (".docx", "") or b"word/" in data[:4096]:
            return "docx"
        raise ReadError(f"Tệp {name} là tệp nén, không phải văn bản .docx.")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: .doc / .xls of old Office
        raise ReadError(
            f"Tệp {name} là định dạng Word cũ (.doc). Hãy lưu lại thành .docx hoặc .pdf rồi gửi lại."
        )
    if ext == ".pdf":
        raise ReadError(f"Tệp {name} không phải PDF hợp lệ (tệp hỏng hoặc bị đổi tên).")
    if ext == ".docx":
        raise ReadError(f"Tệp {name} không phải .docx hợp lệ (tệp hỏng hoặc bị đổi tên).")
    if ext in (".md", ".markdown"):
        return "md"
    if ext in _TEXT or ext == "":
        return "txt"
    raise ReadError(
        f"Không hỗ trợ loại tệp {ext or '(không có phần mở rộng)'} ({name}). "
        "Hãy gửi tệp .docx, .pdf (có lớp chữ), .md hoặc .txt."
    )


# -- plain text --
def _decode(data: bytes, name: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReadError(f"Tệp {name} không đọc được dạng UTF-16.") from exc
    if b"\x00" in data[:4096]:
        raise ReadError(f"Tệp {name} là tệp nhị phân, không phải văn bản.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"Tệp {name} không được mã hóa UTF-8 (có thể là TCVN3/VNI cũ). "
            "Hãy lưu lại với mã hóa UTF-8 (Unicode) hoặc gửi bản .docx/.pdf."
        ) from exc


_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_EMPH = re.compile(r"(\*\*|__)(.+?)\1", re.S)
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_STAR_BULLET = re.compile(r"^(\s*)[*+]\s+", re.M)
_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.M)
_HRULE = re.compile(r"^\s*(-{3,}|\*{3,}|_{3,})\s*$", re.M)
_BACKSLASH = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")


def _markdown_to_text(text: str) -> str:
    """Markdown markup that carries no words: comments, heading marks, emphasis, table pipes and rules."""
    text = _COMMENT.sub("", text)
    text = _RULE.sub("", text)
    text = _HRULE.sub("", text)
    text = _HEADING.sub("", text)
    text = _EMPH.sub(r"\2", text)
    text = _ITALIC.sub(r"\1", text)
    text = _STAR_BULLET.sub(r"\1- ", text)
    text = _BACKSLASH.sub(r"\1", text)
    lines = []
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("|") and s.endswith("|") and len(s) > 1:
            cells = [c.strip() for c in s[1:-1].split("|")]
            line = " | ".join(c for c in cells if c)
        lines.append(line)
    return "\n".join(lines)


# -- docx --
def _docx_text(data: bytes, name: str) -> str:
    try:
        import docx  # python-docx
        from docx.table import Table
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ReadError("Thiếu thư viện python-docx để đọc tệp .docx.") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # zipfile.BadZipFile, KeyError (no word/document.xml), lxml errors
        raise ReadError(f"Không đọc được tệp {name}: tệp .docx bị hỏng hoặc không đúng định dạng.") from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_lines(block, Table))
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _table_lines(table, table_type) -> list[str]:  # type: ignore[no-untyped-def]
    """A layout table (header or signature block: at most 2 columns of stacked lines) gives each cell's
    paragraphs as lines, cell after cell; a data table gives one line per row, cells joined by " | "."""
    rows = table.rows
    layout = len(table.columns) <= 2 and len(rows) <= 4
    out: list[str] = []
    for row in rows:
        cells = []
        seen: set[int] = set()
        for cell in row.cells:  # a merged cell is returned once per grid column it spans
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(cell)
        if layout:
            for cell in cells:
                for block in cell.iter_inner_content():
                    if isinstance(block, table_type):
                        out.extend(_table_lines(block, table_type))
                    else:
                        out.append(block.text)
                out.append("")
        else:
            texts = [" ".join(p.text.strip() for p in cell.paragraphs if p.text.strip()) for cell in cells]
            if any(texts):
                out.append(" | ".join(texts))
    out.append("")
    return out


# -- pdf --
def _pdf_text(data: bytes, name: str) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ReadError("Thiếu thư viện pypdf để đọc tệp .pdf.") from exc
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on damaged files are ours to word
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError(f"Tệp {name} được đặt mật khẩu; hãy gửi bản PDF không khóa.")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ReadError(f"Không đọc được tệp {name}: tệp PDF bị hỏng.") from exc
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise ReadError(f"Không đọc được tệp {name}: tệp PDF bị hỏng ({type(exc).__name__}).") from exc
    text = "\n\n".join(pages)
    if not text.strip():
        raise ReadError(
            f"Tệp {name} là PDF không có lớp chữ (bản scan/ảnh chụp). "
            "Hãy gửi bản .docx hoặc PDF xuất từ Word, hoặc nhận dạng chữ (OCR) trước."
        )
    return text


# -- common cleaning --
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff]")
_LIGATURES = str.maketrans({"\ufb01": "fi", "\ufb02": "fl", "\u00a0": " ", "\u2028": "\n", "\u2029": "\n"})


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_LIGATURES)
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
