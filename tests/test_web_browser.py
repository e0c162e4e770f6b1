"""The web pages in a real browser: Playwright driving Debian's Chromium (no browser download).

One journey with one browser: sign in with a link, read the overview and compare its figures
with ``directive-bot export --format json``, open a unit and its versions, approve a pending
registration (the user is told in the chat), download an attachment and check its SHA-256, log out.
Screenshots are kept under ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.messages import Attachment
from tests.web_helpers import client_for, link_token, submit_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
    ),
]


def export_json(app: Any, year: int) -> dict[str, Any]:
    """What ``directive-bot export --format json`` prints for this database (a separate process)."""
    env = {**os.environ, "DATABASE_URL": app.settings.database_url, "FILES_DIR": app.settings.files_dir}
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--format", "json", "--year", str(year)],
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.fixture
async def browser() -> Any:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            await b.close()


async def shot(pg: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await pg.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


async def test_the_standing_office_journey(app: Any, chat: Any, clock: Any, browser: Any) -> None:
    if not app.settings.database_url.startswith("sqlite"):
        pytest.skip("one database is enough for the browser journey")
    data = "Báo cáo kết quả của Sở Y tế năm 2025\n".encode() * 40
    stored = app.files.save(
        Attachment(filename="bao-cao-so-y-te.docx", data=data, mime_type="application/pdf"), "x"
    )
    await submit_report(chat, app, "yte", "Sở Y tế", 2025, models_count=3, funding=200_000_000)
    await submit_report(
        chat, app, "yte", "Sở Y tế", 2025, file_id=stored.id, models_count=5, funding=300_000_000
    )
    clock.advance(days=200)
    await submit_report(chat, app, "bato", "UBND huyện Ba Tơ", 2025, models_count=2, funding=0)
    await chat.send("lan", "/dangky Sở Tài chính")
    await chat.send("lan", choice=f"u:{app.store.unit_by_name('Sở Tài chính').id}")
    chat.outbox("lan")
    expected = export_json(app, 2025)

    client = await client_for(app)
    base = f"http://127.0.0.1:{client.port}"
    context = await browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
    pg = await context.new_page()
    try:
        # Without a session: the login page explains how to get a link.
        await pg.goto(f"{base}/web/")
        assert "/web/login" in pg.url and "directive-bot web link" in await pg.content()

        link = f"{base}/web/login?t={link_token(app)}"
        await pg.goto(link)
        assert pg.url.rstrip("/").endswith("/web")
        await shot(pg, "overview")
        assert await pg.text_content("#submitted") == f"{expected['submitted']}/{expected['units']}"
        assert await pg.text_content("#on-time") == "1" and await pg.text_content("#late") == "1"
        missing = [r["unit"] for r in expected["rows"] if not r["submitted"]]
        assert await pg.text_content("#missing") == str(len(missing))
        rows = await pg.locator("table.missing-list tbody tr td:first-child").all_text_contents()
        assert rows == missing
        funding = sum(int(r["answers"].get("funding") or 0) for r in expected["rows"] if r["submitted"])
        assert f"{funding:,}".replace(",", ".") in await pg.text_content("dl.totals")

        # A reused link opens nothing.
        other = await context.new_page()
        await context.clear_cookies()
        await other.goto(link)
        assert "đã được dùng" in await other.content()
        await other.close()
        await pg.goto(f"{base}/web/login?t={link_token(app)}")

        # A unit, its versions, the difference, the attachment.
        await pg.click("text=Đơn vị")
        await pg.click("table.units >> text=Sở Y tế")
        assert await pg.locator("article.version").count() == 2
        await shot(pg, "unit")
        assert stored.sha256 in await pg.text_content("code.sha")
        async with pg.expect_download() as info:
            await pg.click("p.file a")
        download = await info.value
        body = Path(await download.path()).read_bytes()
        assert hashlib.sha256(body).hexdigest() == stored.sha256
        assert download.suggested_filename == "bao-cao-so-y-te.docx"
        await pg.click("form.diff-form button")
        assert await pg.locator("tr.changed").count() >= 2
        await shot(pg, "diff")

        # Approve the pending registration; the user is told in the chat.
        await pg.click("nav >> text=Đăng ký")
        await pg.click("table.pending >> text=Duyệt")
        assert "Đã duyệt" in await pg.text_content("p.notice")
        await shot(pg, "registrations")
        assert any("đã được duyệt" in t for t in chat.outbox("lan"))

        await pg.set_viewport_size({"width": 390, "height": 800})  # a phone
        await pg.goto(f"{base}/web/?year=2025")
        await shot(pg, "overview-phone")

        await pg.click("text=Đăng xuất")
        assert "/web/login" in pg.url
        await pg.goto(f"{base}/web/units")
        assert "/web/login" in pg.url
    finally:
        await context.close()
        await client.close()
