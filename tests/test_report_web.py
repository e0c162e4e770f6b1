"""The compiled report's downloads on the web pages' Xuất page (real HTTP, a signed-in session)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.fakes.chat import ChatDriver
from tests.web_helpers import client_for, sign_in


@pytest.fixture
async def client(app: Any) -> Any:
    c = await client_for(app)
    try:
        yield c
    finally:
        await c.close()


async def test_export_page_offers_the_compiled_report(client: Any, app: Any, chat: ChatDriver) -> None:
    import docx

    await chat.register("lan", "Sở Y tế")
    await chat.report("lan", ["2025", "4", "Camera an ninh", "Tốt", None, None, "2 tỷ", None])
    assert (await client.get("/web/downloads/report-docx?year=2025", allow_redirects=False)).status != 200
    await sign_in(client, app)
    html = await (await client.get("/web/export?year=2025")).text()
    assert "/web/downloads/report-docx?year=2025" in html and "/web/downloads/report-xlsx?year=2025" in html
    r = await client.get("/web/downloads/report-docx?year=2025")
    assert r.status == 200
    assert r.headers["Content-Disposition"] == 'attachment; filename="bao-cao-tong-hop-2025.docx"'
    doc = docx.Document(io.BytesIO(await r.read()))
    rows = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    assert len(rows) == 1 + 1 + 1 and rows[1][1] == "Sở Y tế" and rows[1][4] == "2.000.000.000"
    r = await client.get("/web/downloads/report-xlsx?year=2025")
    assert r.status == 200 and r.headers["Content-Disposition"].endswith('bao-cao-tong-hop-2025.xlsx"')
    audited = [e.detail.get("name") for e in app.store.audit_entries("web.export")]
    assert "report-docx" in audited and "report-xlsx" in audited
