"""The compiled overview and its exports (csv, json, xlsx), in the chat and on the command line."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.export import export, headers
from tests.conftest import ADMIN
from tests.fakes.chat import ChatDriver

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
async def reported(chat: ChatDriver, app: Any) -> ChatDriver:
    """Sở Y tế reported twice for 2024 (latest: 8 models), Sở Tài chính once, Ba Tơ retired."""
    await chat.register("lan", "Sở Y tế")
    await chat.register("minh", "Sở Tài chính")
    await chat.report("lan")
    await chat.report("lan", ["2024", "8", "Mô hình B", "Kết quả mới", None, None, "1,5 tỷ", None])
    await chat.report("minh", ["2024", "2", "Tổ an ninh", "Tốt", "Thiếu người", None, None, None])
    await chat.report("minh", ["2023", "1", "Cũ", "Cũ", None, None, None, None])
    app.store.retire_unit(app.store.unit_by_name("UBND huyện Ba Tơ").id, "console:admin")
    return chat


def active_count(app: Any) -> int:
    return len(app.store.list_units())


async def test_csv_one_row_per_active_unit_latest_version(reported: ChatDriver, app: Any) -> None:
    data = export(app, 2024, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 correctly
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == headers(app.form)
    assert rows[0][:4] == ["STT", "Đơn vị", "Nhóm", "Trạng thái"]
    assert len(rows) - 1 == active_count(app) == len(app.pack.units) - 1
    by_unit = {r[1]: r for r in rows[1:]}
    assert "UBND huyện Ba Tơ" not in by_unit
    yte = by_unit["Sở Y tế"]
    # reported in June 2025 for 2024, whose reports were due 30/11/2024: late (issue 15 item 5)
    assert yte[3:5] == ["Nộp muộn", "2"] and "8" in yte and "1500000000" in yte
    assert "Cán bộ Lan (chuyên viên)" in yte
    assert by_unit["Sở Tài chính"][3:5] == ["Nộp muộn", "1"]
    assert by_unit["Công an tỉnh"][3] == "Chưa nộp"
    assert sum(1 for r in rows[1:] if r[3] == "Chưa nộp") == active_count(app) - 2


async def test_json_and_xlsx(reported: ChatDriver, app: Any) -> None:
    doc = json.loads(export(app, 2024, "json"))
    assert doc["year"] == 2024 and doc["units"] == active_count(app) and doc["submitted"] == 2
    yte = next(r for r in doc["rows"] if r["unit"] == "Sở Y tế")
    assert yte["version"] == 2 and yte["answers"]["funding"] == 1_500_000_000
    missing = [r for r in doc["rows"] if not r["submitted"]]
    assert len(missing) == active_count(app) - 2 and all(r["answers"] is None for r in missing)

    wb = load_workbook(io.BytesIO(export(app, 2024, "xlsx")))
    ws = wb.active
    assert ws.title == "Năm 2024"
    values = list(ws.values)
    assert list(values[0]) == headers(app.form)
    assert len(values) - 1 == active_count(app)
    row = next(r for r in values[1:] if r[1] == "Sở Y tế")
    funding_col = headers(app.form).index("Kinh phí đã sử dụng (đồng)")
    assert row[funding_col] == 1_500_000_000  # a number, so the spreadsheet can sum it
    assert row[3] == "Nộp muộn" and row[4] == 2
    assert ws.freeze_panes == "C2" and ws["A1"].font.bold
    cell = next(c for c in ws.iter_rows(min_row=2) if c[1].value == "Sở Y tế")[funding_col]
    assert cell.number_format == "#,##0"
    assert export(app, 2023, "json") != export(app, 2024, "json")


async def test_overview_commands_in_chat(reported: ChatDriver, app: Any) -> None:
    text = await reported.say(ADMIN, "/tonghop 2024")
    assert f"Đã nộp: 2/{active_count(app)} đơn vị" in text
    assert "Tổng số mô hình hiệu quả được duy trì, nhân rộng: 10" in text  # 8 (latest of Sở Y tế) + 2
    assert "1.650.000.000 đồng" not in text and "1.500.000.000 đồng" in text
    assert "Công an tỉnh" in text.split("Chưa nộp")[1]
    status = await reported.say(ADMIN, "/trangthai 2024")
    assert f"2/{active_count(app)} đơn vị đã nộp" in status
    assert f"{app.category_label('department')}: 2/" in status
    replies = await reported.send(ADMIN, "/xuatbaocao 2024")
    [f] = replies[0].files
    assert f.filename == "tong-hop-2024.xlsx" and load_workbook(
        io.BytesIO(f.data)
    ).active.max_row == 1 + active_count(app)
    assert "Năm phải là số" in await reported.say(ADMIN, "/tonghop hai nghìn")


async def test_broadcast_reaches_every_approved_active_member(reported: ChatDriver, app: Any) -> None:
    await reported.register("pending", "Sở Y tế", admin=None)
    app.store.touch_user("console", "blocked", "blocked")
    user = app.store.get_user("console:blocked")
    m = app.store.request_membership(user.id, app.store.unit_by_name("Sở Nội vụ").id)
    app.store.decide_membership(m.id, True, "x")
    app.store.mark_inactive("console:blocked")
    app.console.take()
    text = await reported.say(ADMIN, "/thongbao Họp giao ban lúc 8 giờ")
    assert "Xem trước" in text and "2 người" in text
    assert "Đang gửi thông báo tới 2 người" in await reported.say(ADMIN, "Gửi")
    await app.wait_background()
    assert any(t.startswith("Đã gửi thông báo tới 2/2") for t in reported.outbox(ADMIN))
    got = {chat_id: r.text for chat_id, r in app.console.sent}
    assert set(got) == {"lan", "minh"} and "Họp giao ban lúc 8 giờ" in got["lan"]
    assert app.store.audit_entries("broadcast")[0].detail["recipients"] == 2
    assert "Cú pháp" in await reported.say(ADMIN, "/thongbao")
    assert "quá dài" in await reported.say(ADMIN, "/thongbao " + "x" * 2000)


def run_cli(args: list[str], db_url: str, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "FILES_DIR": str(tmp_path / "files"),
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, env=env, cwd=tmp_path, timeout=60
    )


async def test_export_command(reported: ChatDriver, app: Any, tmp_path: Path) -> None:
    url = app.settings.database_url
    out = tmp_path / "out" / "th.xlsx"
    r = run_cli(["export", "--year", "2024", "--format", "xlsx", "--output", str(out)], url, tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    ws = load_workbook(out).active
    assert ws.max_row == 1 + active_count(app) and ws.cell(1, 2).value == "Đơn vị"
    r = run_cli(["export", "--year", "2024", "--format", "csv"], url, tmp_path)
    assert r.returncode == 0 and r.stdout.decode("utf-8-sig").splitlines()[0].startswith("STT,Đơn vị,Nhóm")
    r = run_cli(["export", "--year", "2024", "--format", "json"], url, tmp_path)
    assert json.loads(r.stdout)["submitted"] == 2
    r = run_cli(["export", "--format", "pdf"], url, tmp_path)
    assert r.returncode == 2
