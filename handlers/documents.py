"""The loaded directives in the chat: /vanban lists them; an admin adds one with /themvanban (a .docx, .pdf,
.md or .txt file with the command as caption, or the command then the file).  The new pack is written under
the ingested packs folder (``INGESTED_PACKS_DIR``, default ``./data/packs``) and served at once by this
process (``app.qa`` is a :class:`knowledge.library.Library`).  Reporting duties found in the text are shown
as proposed obligations, quoted; nothing is scheduled without an admin."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from bot.context import Context
from bot.conversation import begin
from bot.messages import Reply
from bot.router import Router

router = Router("documents")
FLOW = "themvanban"


def _library(app: Any) -> Any:
    """The app's library; a single-pack engine is wrapped into one on first use."""
    from knowledge.library import Library

    if not isinstance(app.qa, Library):
        app.qa = Library([app.pack], list(getattr(app.pack, "units", []) or []))
    return app.qa


def _packs_dir() -> str:
    return os.environ.get("INGESTED_PACKS_DIR") or "data/packs"


@router.command("vanban", description="Danh sách văn bản chỉ đạo đang được hỏi đáp", keywords=("văn bản",))
async def list_documents(ctx: Context) -> Reply:
    rows = _library(ctx.app).listing()
    lines = [f"Các văn bản đang được hỏi đáp ({len(rows)}):"]
    for i, r in enumerate(rows, 1):
        lines.append(f"{i}. {r['kind'].capitalize()} {r['document']} ngày {r['date']} của {r['issuer']}")
        if r["subject"]:
            lines.append(f"   {r['subject'][:160]}")
    lines.append("Khi hỏi, nêu số văn bản (ví dụ “Kế hoạch 1026 …”) để bot trả lời đúng văn bản.")
    return Reply("\n".join(lines))


@router.command("themvanban", description="Thêm văn bản chỉ đạo (gửi tệp .docx, .pdf, .md)", admin=True)
async def add_document(ctx: Context) -> Reply:
    if ctx.msg.attachments:
        return await _ingest(ctx)
    begin(ctx, FLOW)
    return Reply("Hãy gửi tệp văn bản (.docx, .pdf có lớp chữ, .md hoặc .txt). Gõ /huy để hủy.")


@router.flow(FLOW)
async def waiting_for_file(ctx: Context) -> Reply:
    if not ctx.msg.attachments:
        return Reply(
            "Chưa nhận được tệp. Hãy gửi tệp văn bản (.docx, .pdf, .md hoặc .txt), hoặc gõ /huy để hủy."
        )
    ctx.state = None
    return await _ingest(ctx)


async def _ingest(ctx: Context) -> Reply:
    from knowledge.ingest.service import IngestFailed, ingest_bytes

    att = ctx.msg.attachments[0]
    lib = _library(ctx.app)
    try:
        result, folder = await asyncio.to_thread(
            ingest_bytes, att.data, att.filename, _packs_dir(), units=lib.units or None
        )
        await asyncio.to_thread(lib.add, folder)
    except IngestFailed as exc:
        return Reply(f"Không nạp được văn bản: {exc}")
    await asyncio.to_thread(
        ctx.app.store.audit, ctx.msg.user_key, "document.add", {"pack": result.id, "file": att.filename}
    )
    lines = [f"Đã nạp văn bản {result.pack['document']}; có thể hỏi đáp ngay."]
    lines += [f"- {x}" for x in result.report]
    if result.obligations:
        lines.append("Nghĩa vụ báo cáo đề xuất (trích từ văn bản, CHƯA đặt nhắc hạn):")
        for o in result.obligations[:5]:
            lines.append(f"• {o['source']['ref']}: «{o['source']['quote'][:200]}»")
    return Reply("\n".join(lines))
