"""knowledge.ingest.reader: .md/.txt/.docx/.pdf to plain text, and clear Vietnamese errors."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest

from knowledge.ingest.reader import ReadError, extract_text

DATA = Path(__file__).parent / "data" / "directives"
FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
]


def unicode_font() -> str | None:
    return next((f for f in FONTS if Path(f).is_file()), None)


def make_docx(paragraphs: list[str], header: tuple[list[str], list[str]] | None = None, rows=None) -> bytes:
    import docx

    d = docx.Document()
    if header:
        t = d.add_table(rows=1, cols=2)
        t.cell(0, 0).text = "\n".join(header[0])
        t.cell(0, 1).text = "\n".join(header[1])
    for p in paragraphs:
        d.add_paragraph(p)
    if rows:
        t = d.add_table(rows=len(rows), cols=len(rows[0]))
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                t.cell(i, j).text = cell
    d.add_paragraph("Đoạn cuối sau bảng.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_pdf(lines: list[str]) -> bytes:
    font = unicode_font()
    if font is None:
        pytest.skip("no Unicode TrueType font (DejaVu/Liberation) to write a Vietnamese PDF")
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("u", "", font)
    pdf.set_font("u", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_markdown_markup_removed_and_nfc():
    raw = "<!-- nguồn -->\n# Tiêu đề\n\n**Số: 12**/UBND\n\n* mục một\n| a | b |\n|---|---|\n| c | d |\n"
    nfd = unicodedata.normalize("NFD", raw)
    text = extract_text(("\ufeff" + nfd).encode("utf-8"), "x.md")
    assert text == unicodedata.normalize("NFC", text)
    assert "nguồn" not in text and "**" not in text and "#" not in text
    assert "Tiêu đề" in text and "Số: 12/UBND" in text and "- mục một" in text
    assert "a | b" in text and "c | d" in text and "---" not in text


def test_shared_document_reads_whole():
    data = (DATA / "6154-QD-UBND-HN-2011.md").read_bytes()
    text = extract_text(data, "6154.md")
    assert text.startswith("ỦY BAN NHÂN DÂN")
    assert "Nguyễn Huy Tưởng" in text and "\r" not in text


def test_txt_crlf_and_utf16():
    assert extract_text("Dòng 1\r\nDòng 2".encode(), "a.txt") == "Dòng 1\nDòng 2\n"
    assert extract_text("Số: 5/UBND".encode("utf-16"), "a.txt") == "Số: 5/UBND\n"


def test_docx_paragraphs_and_tables_in_order():
    data = make_docx(
        ["QUYẾT ĐỊNH", "Điều 1. Giao Sở Tài chính chủ trì."],
        header=(["ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI", "Số: 12/QĐ-UBND"], ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA"]),
        rows=[["TT", "Nội dung", "Thời gian"], ["1", "Tập huấn", "Quý I/2025"]],
    )
    text = extract_text(data, "qd.docx")
    lines = [x for x in text.splitlines() if x.strip()]
    assert lines[:4] == ["ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI", "Số: 12/QĐ-UBND", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA"]
    order = [lines.index(x) for x in ("QUYẾT ĐỊNH", "TT | Nội dung | Thời gian", "Đoạn cuối sau bảng.")]
    assert order == sorted(order)
    assert "1 | Tập huấn | Quý I/2025" in lines


def test_pdf_text_layer():
    data = make_pdf(["ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI", "Số: 77/KH-UBND", "Kế hoạch tập huấn, quý IV/2025"])
    text = extract_text(data, "kh.pdf")
    assert "Số: 77/KH-UBND" in text and "QUẢNG NGÃI" in text and "quý IV/2025" in text


def test_pdf_without_text_layer_is_explained():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)  # a drawing, no text: what a scan looks like to a text extractor
    with pytest.raises(ReadError, match="không có lớp chữ"):
        extract_text(bytes(pdf.output()), "scan.pdf")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.md", "trống"),
        (b"  \n\t\n", "a.txt", "không có nội dung"),
        ("Tệp Đà Nẵng".encode()[:-1] + b"\xe0 \xe1", "a.txt", "UTF-8"),
        (b"%PDF-1.4 broken", "a.pdf", "PDF bị hỏng"),
        (b"PK\x03\x04xx", "a.docx", "hỏng"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "a.doc", "Word cũ"),
        (b"data", "bang.xlsx", "Không hỗ trợ"),
        (b"not a pdf", "a.pdf", "không phải PDF"),
    ],
)
def test_errors_are_vietnamese(data, name, message):
    with pytest.raises(ReadError, match=message):
        extract_text(data, name)
