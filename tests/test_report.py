"""The compiled annual report (issue 12): the .docx read back with python-docx against Decree 30/2020/NĐ-CP,
the .xlsx read back with openpyxl, /baocaotonghop in the chat, ``directive-bot report``, the PDF rendering."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.report import ReportError, build
from bot.report.data import compile_report
from tests.conftest import ADMIN
from tests.fakes.chat import ChatDriver

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", REPO / "artifacts"))
EMU_PER_MM = 36000
FORMULA = '=HYPERLINK("http://x","bấm")'


@pytest.fixture
async def filled(chat: ChatDriver, app: Any, clock: Any) -> ChatDriver:
    """Filled through the chat for 2025, due date 30/11/2025 set by the admin:
    Sở Y tế on time (two versions), Sở Tài chính on time with empty optional fields and a formula-like
    model name, UBND huyện Bình Sơn late; Công an tỉnh's official registered (the standing office)."""
    await chat.say(ADMIN, "/hanbaocao 2025 30/11/2025")
    await chat.register("lan", "Sở Y tế")
    await chat.register("minh", "Sở Tài chính")
    await chat.register("hoa", "UBND huyện Bình Sơn")
    await chat.register("tuan", "Công an tỉnh")
    await chat.report(
        "lan", ["2025", "5", "Camera an ninh", "Giảm vụ việc", "Thiếu kinh phí", None, "1 tỷ", None]
    )
    await chat.report("lan", ["2025", "8", "Camera an ninh\nTổ tự quản", "Giảm 20% vụ việc", "Thiếu kinh phí",
                              "Tăng hỗ trợ cho cơ sở", "1,5 tỷ", None])  # fmt: skip
    await chat.report("minh", ["2025", "2", FORMULA, "Tốt", None, None, None, None])
    clock.advance(days=180)  # 12/12/2025: after the due date
    await chat.report(
        "hoa", ["2025", "3", "Tổ an ninh xã", "Ổn định", "Địa bàn rộng", None, "150 triệu", None]
    )
    return chat


def _doc(data: bytes) -> Any:
    import docx

    return docx.Document(io.BytesIO(data))


def _all_paragraphs(doc: Any) -> list[Any]:
    out = list(doc.paragraphs)
    for t in doc.tables:
        for row in t.rows:
            for cell in row.cells:
                out.extend(cell.paragraphs)
    return out


def _size(run: Any, paragraph: Any) -> float | None:
    size = run.font.size or paragraph.style.font.size
    return size.pt if size is not None else None


async def test_docx_page_fonts_and_letterhead(filled: ChatDriver, app: Any) -> None:
    doc = _doc(build(app, 2025, "docx"))
    s = doc.sections[0]
    assert abs(s.page_width / EMU_PER_MM - 210) < 0.5 and abs(s.page_height / EMU_PER_MM - 297) < 0.5
    assert s.page_height > s.page_width  # portrait
    assert 20 <= s.top_margin / EMU_PER_MM <= 25 and 20 <= s.bottom_margin / EMU_PER_MM <= 25
    assert 30 <= s.left_margin / EMU_PER_MM <= 35 and 15 <= s.right_margin / EMU_PER_MM <= 20
    # page numbers: centred in the top margin, not on page 1
    assert s.different_first_page_header_footer
    assert "PAGE" in s.header._element.xml and s.header.paragraphs[0].alignment == 1
    assert "PAGE" not in s.first_page_header._element.xml
    # Times New Roman everywhere, 11–14 pt
    for p in _all_paragraphs(doc):
        for r in p.runs:
            if r.text.strip():
                assert r.font.name == "Times New Roman", r.text
                assert 11 <= _size(r, p) <= 14, (r.text, _size(r, p))
    # letterhead: borderless two columns
    head = doc.tables[0]
    assert len(head.columns) == 2 and 'w:val="nil"' in head._tbl.tblPr.xml
    left, right = (c.paragraphs for c in head.rows[0].cells)
    texts = [p.text for p in left]
    assert texts[0] == "BỘ CÔNG AN" and texts[1] == "CÔNG AN TỈNH QUẢNG NGÃI"
    assert all(r.bold for r in left[1].runs) and not any(r.bold for r in left[0].runs)
    assert "w:pBdr" in left[2]._p.xml and not left[2].text  # the short rule under the issuing body
    assert re.fullmatch(r"Số:\s+/BC-CAT", texts[3])  # the number is left for the clerk
    assert right[0].text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and right[0].runs[0].bold
    assert right[1].text == "Độc lập - Tự do - Hạnh phúc" and right[1].runs[0].bold
    assert "w:pBdr" in right[2]._p.xml
    today = app.now()
    assert right[3].text == f"Quảng Ngãi, ngày {today.day:02d} tháng {today.month} năm {today.year}"
    assert right[3].runs[0].italic
    for p in left[:2] + right[:2]:
        assert 12 <= _size(p.runs[0], p) <= 13
    body = [p for p in doc.paragraphs if p.text]
    assert body[0].text == "BÁO CÁO" and body[0].runs[0].bold and body[0].alignment == 1
    assert body[1].text.startswith("Kết quả thực hiện") and body[1].text.endswith("năm 2025")
    assert body[1].runs[0].bold and body[1].alignment == 1
    assert body[2].text == "Kính gửi: Ủy ban nhân dân tỉnh."
    opening = body[3]
    assert opening.alignment == 3 and opening.paragraph_format.first_line_indent.cm >= 1.0
    assert "“định kỳ hàng năm tổng hợp báo kết quả với UBND tỉnh theo quy định”" in opening.text
    assert "(Công văn 5500/UBND-NC, Mục 2)" in opening.text
    # Nơi nhận and the signature block
    sig = doc.tables[-1]
    copies = sig.rows[0].cells[0].paragraphs
    assert copies[0].text == "Nơi nhận:" and copies[0].runs[0].bold and copies[0].runs[0].italic
    assert copies[0].runs[0].font.size.pt == 12 and all(p.runs[0].font.size.pt == 11 for p in copies[1:])
    assert [p.text for p in copies[1:]] == ["- Như trên;", "- Lưu: VT."]
    sign = [p.text for p in sig.rows[0].cells[1].paragraphs if p.text.strip()]
    assert sign[0] == "GIÁM ĐỐC" and "Đã ký" not in " ".join(sign)


async def test_docx_content_traceable_to_stored_submissions(filled: ChatDriver, app: Any) -> None:
    doc = _doc(build(app, 2025, "docx"))
    latest = app.store.latest_submissions(2025)
    units = {u.id: u for u in app.store.list_units()}
    table = doc.tables[1]
    rows = [[c.text for c in r.cells] for r in table.rows]
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header[:2] == ["STT", "Đơn vị"] and header[2] == app.form.field("models_count").label
    assert len(body) == len(latest) == 3
    by_name = {r[1]: r for r in body}
    assert set(by_name) == {units[uid].name for uid in latest}
    for uid, sub in latest.items():
        row = by_name[units[uid].name]
        assert row[2] == str(sub.answers["models_count"]) and row[6] == str(sub.version)
    assert by_name["Sở Y tế"][4] == "1.500.000.000" and by_name["Sở Y tế"][6] == "2"
    assert by_name["Sở Y tế"][3] == "Camera an ninh\nTổ tự quản"
    assert by_name["Sở Tài chính"][3] == FORMULA and by_name["Sở Tài chính"][4] == "không ghi"
    assert by_name["UBND huyện Bình Sơn"][5] == "12/12/2025 (muộn)"
    assert total[0].startswith("Tổng cộng (3 đơn vị)")
    assert total[2] == "13" and total[4] == "1.650.000.000"  # 8 + 2 + 3; 1,5 tỷ + 150 triệu
    text = "\n".join(p.text for p in doc.paragraphs)
    n = len(units)
    assert f"Đã gửi báo cáo: 3/{n} đơn vị" in text and "đúng hạn 2, muộn 1" in text
    assert "Hạn gửi báo cáo áp dụng: 30/11/2025 (do quản trị viên đặt)" in text
    assert f"Chưa gửi báo cáo: {n - 3} đơn vị" in text
    missing = [u.name for u in units.values() if u.id not in latest]
    assert "Công an tỉnh" in missing
    section_missing = text.split("3. Các đơn vị chưa gửi báo cáo")[1].split("II. KẾT QUẢ")[0]
    assert all(name in section_missing for name in missing)
    assert "Tổng kinh phí đã sử dụng: 1.650.000.000 đồng" in text and "1 đơn vị không ghi" in text
    difficulties = text.split("III. KHÓ KHĂN, VƯỚNG MẮC")[1].split("IV.")[0]
    assert (
        "- Sở Y tế: Thiếu kinh phí" in difficulties and "- UBND huyện Bình Sơn: Địa bàn rộng" in difficulties
    )
    assert "1/3 đơn vị không nêu khó khăn, vướng mắc: Sở Tài chính." in difficulties
    proposals = text.split("IV. ĐỀ XUẤT, KIẾN NGHỊ")[1]
    assert "- Sở Y tế: Tăng hỗ trợ cho cơ sở" in proposals and "Sở Tài chính" in proposals
    # the chart: one PNG picture
    [shape] = doc.inline_shapes
    blip = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
    assert doc.part.related_parts[blip].blob.startswith(b"\x89PNG")


async def test_report_with_no_submissions_and_settings_override(app: Any) -> None:
    from dataclasses import replace

    app.settings = replace(app.settings, report=(("issuer", "Ban Chỉ đạo 138 tỉnh"), ("parent", "")))
    doc = _doc(build(app, 2024, "docx"))
    left = [p.text for p in doc.tables[0].rows[0].cells[0].paragraphs]
    assert left[0] == "BAN CHỈ ĐẠO 138 TỈNH" and left[2].startswith("Số:")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Đã gửi báo cáo: 0/" in text and "Chưa có đơn vị nào gửi báo cáo." in text
    assert doc.tables[1].rows[1].cells[0].text.startswith("Tổng cộng (0 đơn vị)")
    with pytest.raises(ReportError, match="Định dạng"):
        build(app, 2024, "odt")


def test_report_settings_from_env() -> None:
    from bot.config import ConfigError, Settings

    s = Settings.from_env({"REPORT_ISSUER": "Ban Chỉ đạo 138 tỉnh", "REPORT_PLACE": "Quảng Ngãi"})
    assert dict(s.report) == {"issuer": "Ban Chỉ đạo 138 tỉnh", "place": "Quảng Ngãi"}
    hash(s)
    with pytest.raises(ConfigError, match="REPORT_SIGNER_NAME"):
        Settings.from_env({"REPORT_SIGNER_NAME": "x" * 201})


async def test_xlsx_read_back(filled: ChatDriver, app: Any) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(build(app, 2025, "xlsx")))
    ws = wb["Tổng hợp"]
    assert ws["A1"].value.startswith("Báo cáo tổng hợp — năm 2025 — lập lúc ")
    header = [c.value for c in ws[2]]
    assert header[:8] == [
        "STT",
        "Đơn vị",
        "Nhóm",
        "Trạng thái",
        "Ngày nộp",
        "Nộp lần đầu",
        "Nộp muộn",
        "Phiên bản",
    ]
    n = len(app.store.list_units())
    assert ws.max_row == 2 + n + 1 and ws.freeze_panes == "C3"
    assert ws.auto_filter.ref == f"A2:{ws.cell(2, len(header)).column_letter}{2 + n}"
    rows = {r[1].value: r for r in ws.iter_rows(min_row=3, max_row=2 + n)}
    yte, tc, bs = rows["Sở Y tế"], rows["Sở Tài chính"], rows["UBND huyện Bình Sơn"]
    assert isinstance(yte[4].value, datetime) and yte[4].number_format == "dd/mm/yyyy hh:mm"
    assert yte[6].value == "Không" and bs[6].value == "Có" and yte[7].value == 2
    funding = header.index(app.form.field("funding").label)
    assert yte[funding].value == 1_500_000_000 and yte[funding].number_format == "#,##0"
    names = header.index(app.form.field("model_names").label)
    assert tc[names].value == FORMULA and tc[names].data_type == "s"  # text, never a formula
    assert rows["Công an tỉnh"][3].value == "Chưa nộp" and rows["Công an tỉnh"][4].value is None
    total = ws[2 + n + 1]
    assert total[1].value == "Tổng cộng" and total[3].value == f"3/{n} đã nộp"
    assert total[funding].value.startswith("=SUM(")
    assert len(wb.sheetnames) == 1 + len({u.category for u in app.store.list_units()})
    dept = wb[next(name for name in wb.sheetnames if "sở, ban, ngành" in name)]
    assert {r[1].value for r in dept.iter_rows(min_row=3, max_row=dept.max_row - 1)} >= {
        "Sở Y tế",
        "Sở Tài chính",
    }


async def test_chat_command_for_admin_and_standing_office_only(filled: ChatDriver, app: Any) -> None:
    import docx

    [reply] = await filled.send(ADMIN, "/baocaotonghop 2025")
    [f] = reply.files
    assert f.filename == "bao-cao-tong-hop-2025.docx" and f.mime_type.endswith("wordprocessingml.document")
    assert len(docx.Document(io.BytesIO(f.data)).tables[1].rows) == 3 + 2
    [reply] = await filled.send("tuan", "/baocaotonghop 2025 xlsx")  # Công an tỉnh: the standing office
    assert reply.files[0].filename == "bao-cao-tong-hop-2025.xlsx"
    refused = await filled.say("lan", "/baocaotonghop 2025")
    assert "dành cho quản trị viên" in refused
    assert "Cú pháp" in await filled.say(ADMIN, "/baocaotonghop hai nghìn")
    assert [e.detail for e in app.store.audit_entries("report")] == [
        {"year": 2025, "format": "docx"},
        {"year": 2025, "format": "xlsx"},
    ]


async def test_chat_pdf_without_libreoffice_says_so(
    filled: ChatDriver, app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    [reply] = await filled.send(ADMIN, "/baocaotonghop 2025 pdf")
    assert not reply.files and "chưa cài LibreOffice" in reply.text and "docx" in reply.text


def _cli(args: list[str], db_url: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    full = {
        **os.environ,
        "DATABASE_URL": db_url,
        "FILES_DIR": str(tmp_path / "files"),
        "PYTHONPATH": str(REPO),
    }
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, env=full, cwd=tmp_path, timeout=120
    )


async def test_report_command(filled: ChatDriver, app: Any, tmp_path: Path) -> None:
    import docx

    url = app.settings.database_url
    out = tmp_path / "out" / "bc.docx"
    r = _cli(["report", "--year", "2025", "--format", "docx", "--output", str(out)], url, tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    doc = docx.Document(str(out))
    assert doc.paragraphs[0].text == "BÁO CÁO" and len(doc.tables[1].rows) == 3 + 2
    r = _cli(
        ["report", "--year", "2025", "--format", "xlsx"], url, tmp_path, REPORT_ISSUER="Ban Chỉ đạo 138 tỉnh"
    )
    assert r.returncode == 0 and (tmp_path / "bao-cao-tong-hop-2025.xlsx").is_file()
    r = _cli(["report", "--format", "pdf"], url, tmp_path, PATH=str(tmp_path / "empty"))
    assert r.returncode == 2 and "LibreOffice" in r.stderr.decode()


def test_ask_path_does_not_import_docx_or_matplotlib(tmp_path: Path) -> None:
    code = (
        "import sys, io, contextlib\n"
        "from bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['ask', 'Kinh phí cho UBND huyện lấy theo quy định nào?'])\n"
        "import handlers.compiled, bot.commands.report\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('docx', 'matplotlib', 'lxml')))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=REPO, timeout=60, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_vietnamese_formats() -> None:
    from datetime import date

    from bot.report import vn

    assert vn.number(1234567) == "1.234.567" and vn.number(0.5) == "0,5" and vn.number(2.0) == "2"
    assert vn.decree_date(date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert vn.decree_date(date(2026, 3, 12)) == "ngày 12 tháng 3 năm 2026"
    assert vn.decree_date(date(2026, 2, 28)) == "ngày 28 tháng 02 năm 2026"
    assert vn.percent(1, 3) == "33,3%" and vn.day(date(2025, 1, 2)) == "02/01/2025"


async def test_compiled_data_on_time_uses_first_submission(filled: ChatDriver, app: Any, clock: Any) -> None:
    # Sở Y tế corrects its report after the due date: still on time (its first version was)
    await filled.report("lan", ["2025", "9", "Camera", "Tốt", None, None, None, None])
    r = compile_report(app, 2025)
    yte = next(e for e in r.entries if e.unit.name == "Sở Y tế")
    assert yte.version == 3 and yte.late is False and yte.latest_at.date() > r.due
    assert (r.on_time, r.late) == (2, 1)


@pytest.mark.slow
@pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftoppm")), reason="LibreOffice/poppler missing"
)
async def test_pdf_rendering_keeps_page_images(filled: ChatDriver, app: Any, tmp_path: Path) -> None:
    pdf = build(app, 2025, "pdf")
    assert pdf.startswith(b"%PDF")
    (tmp_path / "r.pdf").write_bytes(pdf)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / f"report-{app.engine.dialect.name}"
    subprocess.run(
        ["pdftoppm", "-r", "70", "-png", str(tmp_path / "r.pdf"), str(prefix)], check=True, timeout=120
    )
    pages = sorted(ARTIFACTS.glob(f"{prefix.name}-*.png"))
    assert pages and pages[0].read_bytes().startswith(b"\x89PNG")
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, timeout=60).stdout
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text.decode() and "BÁO CÁO" in text.decode()
