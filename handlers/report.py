"""/baocao: the annual report form, field by field, then a summary to confirm.

Answers live in the dialog state (committed after every message), so a restart
resumes the form; nothing is written as a submission until "Xác nhận", and then in
one transaction (a new version; old versions are kept).  Only approved members of
an active unit may submit, and only for their own unit.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot import forms
from bot.context import Context
from bot.conversation import begin
from bot.messages import Choice, Reply
from bot.router import Router
from bot.store import StoreError
from handlers.registration import local_time

router = Router("report")

FLOW = "report"
CONFIRM, EDIT = "confirm", "edit"
CONFIRM_CHOICES = [Choice("Xác nhận", "ok"), Choice("Sửa một mục", "edit"), Choice("Hủy", "cancel")]


async def _member_unit(ctx: Context) -> tuple[Any, str]:
    """(unit, "") for an approved member; (None, why not) otherwise."""
    store = ctx.app.store
    unit = await asyncio.to_thread(store.approved_unit, ctx.user.id)
    if unit is not None:
        return unit, ""
    m = await asyncio.to_thread(store.current_membership, ctx.user.id)
    if m is not None and m.status == "pending":
        return (
            None,
            "Yêu cầu tham gia đơn vị của bạn đang chờ quản trị viên duyệt; "
            "sau khi được duyệt bạn mới nộp được báo cáo.",
        )
    return (
        None,
        "Chỉ thành viên đã được duyệt của một đơn vị mới nộp được báo cáo. Gõ /dangky để đăng ký đơn vị.",
    )


def _ask(ctx: Context, key: str, error: str = "") -> Reply:
    form = ctx.app.form
    f = form.field(key)
    years = ctx.app.open_years() if f.type == "year" else None
    default_year = ctx.app.reporting_year() if f.type == "year" else None
    ctx.extra["numbers"] = not forms.takes_free_text(f)  # type: ignore[index]
    reply = forms.prompt(
        f,
        number=form.index(key) + 1,
        total=len(form.fields),
        years=years,
        default_year=default_year,
        error=error,
    )
    answers = ctx.state.data.get("answers", {}) if ctx.state else {}
    if ctx.state is not None and ctx.state.data.get("editing") and key in answers:
        reply.text += f"\n(Hiện tại: {forms.display(f, answers[key])})"
    return reply


def _confirm(ctx: Context, note: str = "") -> Reply:
    assert ctx.state is not None
    ctx.state.step = CONFIRM
    ctx.state.data["editing"] = False
    data = ctx.state.data
    header = f"Kiểm tra lại báo cáo của {data['unit_name']}:"
    text = forms.summary(ctx.app.form, data.get("answers", {}), header=header)
    if note:
        text = f"{note}\n\n{text}"
    text += "\n\nChọn Xác nhận để lưu, Sửa một mục để sửa, hoặc Hủy."
    ctx.extra["numbers"] = True  # type: ignore[index]
    return Reply(text, list(CONFIRM_CHOICES))


@router.command("baocao", description="Nộp báo cáo kết quả hằng năm", keywords=("báo cáo", "nộp báo cáo"))
async def start_report(ctx: Context) -> Any:
    unit, why = await _member_unit(ctx)
    if unit is None:
        return Reply(why)
    form = ctx.app.form
    begin(ctx, FLOW, form.fields[0].key, {"unit_id": unit.id, "unit_name": unit.name, "answers": {}})
    intro = f"{form.title}\nĐơn vị: {unit.name}."
    if form.intro:
        intro += f"\n{form.intro}"
    return [Reply(intro), _ask(ctx, form.fields[0].key)]


async def _already_note(ctx: Context, year: int) -> str:
    """Tell the user when the unit already reported for ``year``: confirming makes a new version."""
    assert ctx.state is not None
    latest = await asyncio.to_thread(ctx.app.store.latest_submission, ctx.state.data["unit_id"], year)
    if latest is None:
        return ""
    return (
        f"Lưu ý: đơn vị đã nộp báo cáo năm {year} (phiên bản {latest.version}, "
        f"{local_time(ctx.app, latest.submitted_at)}). Nộp lại sẽ tạo phiên bản mới; bản cũ vẫn được giữ."
    )


@router.flow(FLOW)
async def report_flow(ctx: Context) -> Any:
    assert ctx.state is not None
    step = ctx.state.step
    if step == CONFIRM:
        return await _on_confirm(ctx)
    if step == EDIT:
        return _on_edit(ctx)
    return await _on_field(ctx, step)


async def _on_field(ctx: Context, key: str) -> Any:
    assert ctx.state is not None
    form = ctx.app.form
    try:
        f = form.field(key)
    except KeyError:  # the form changed under a saved state: restart at the first unanswered field
        nxt = form.next_key(None, ctx.state.data.get("answers", {}))
        ctx.state.step = nxt or CONFIRM
        return _ask(ctx, nxt) if nxt else _confirm(ctx)
    msg = ctx.msg
    if msg.attachments and f.type != "file":
        return _ask(ctx, key, "Mục này cần trả lời bằng chữ, chưa tới bước gửi tệp.")

    def save_file(att: Any) -> dict[str, Any]:
        stored = ctx.app.files.save(att, ctx.msg.user_key)
        return {
            "file_id": stored.id,
            "filename": stored.filename,
            "size": stored.size,
            "sha256": stored.sha256,
        }

    try:
        value = await asyncio.to_thread(
            forms.accept,
            f,
            text=msg.text,
            choice=msg.choice,
            attachments=msg.attachments,
            years=ctx.app.open_years() if f.type == "year" else None,
            save_file=save_file,
        )
    except forms.FieldError as exc:
        return _ask(ctx, key, str(exc))
    answers = dict(ctx.state.data.get("answers", {}))
    answers[key] = value
    ctx.state.data["answers"] = answers
    note = await _already_note(ctx, int(value)) if f.type == "year" else ""
    if ctx.state.data.get("editing"):
        return _confirm(ctx, "\n".join(x for x in (f"Đã sửa mục “{f.label}”.", note) if x))
    nxt = form.next_key(key, answers)
    if nxt is None:
        return _confirm(ctx, note)
    ctx.state.step = nxt
    return [note, _ask(ctx, nxt)] if note else _ask(ctx, nxt)


def _on_edit(ctx: Context) -> Any:
    assert ctx.state is not None
    choice = ctx.msg.choice or ""
    if choice.startswith("f:"):
        key = choice[2:]
        if key in ctx.app.form.keys:
            ctx.state.step = key
            ctx.state.data["editing"] = True
            return _ask(ctx, key)
    if choice == "back":
        return _confirm(ctx)
    return _edit_menu(ctx, "Hãy chọn mục cần sửa (bấm hoặc gõ số thứ tự).")


def _edit_menu(ctx: Context, note: str = "Sửa mục nào?") -> Reply:
    assert ctx.state is not None
    ctx.state.step = EDIT
    ctx.extra["numbers"] = True  # type: ignore[index]
    choices = [Choice(f.label, f"f:{f.key}") for f in ctx.app.form.fields]
    choices.append(Choice("Quay lại", "back"))
    return Reply(note, choices)


async def _on_confirm(ctx: Context) -> Any:
    assert ctx.state is not None
    choice = ctx.msg.choice
    if choice == "edit":
        return _edit_menu(ctx)
    if choice == "cancel":
        ctx.state = None
        return Reply("Đã hủy. Báo cáo chưa được lưu.")
    if choice != "ok":
        return _confirm(ctx, "Vui lòng chọn Xác nhận, Sửa một mục hoặc Hủy.")
    data = ctx.state.data
    unit, why = await _member_unit(ctx)
    if unit is None or unit.id != data.get("unit_id"):
        ctx.state = None
        return Reply(why or "Bạn không còn là thành viên của đơn vị này; báo cáo không được lưu.")
    answers = dict(data.get("answers", {}))
    missing = [f.label for f in ctx.app.form.fields if f.key not in answers]
    if missing:
        nxt = ctx.app.form.next_key(None, answers)
        ctx.state.step = nxt or CONFIRM
        return _ask(ctx, nxt) if nxt else _confirm(ctx)
    year = answers.get("year") or ctx.app.reporting_year()
    file_id = next(
        (
            v["file_id"]
            for f in ctx.app.form.fields
            if f.type == "file" and isinstance(v := answers.get(f.key), dict)
        ),
        None,
    )
    try:
        sub = await asyncio.to_thread(
            ctx.app.store.submit,
            unit_id=unit.id,
            year=int(year),
            answers=answers,
            user_id=ctx.user.id,
            actor=ctx.msg.user_key,
            file_id=file_id,
            end_flow_of=ctx.msg.user_key,
        )
    except StoreError as exc:
        return _confirm(ctx, str(exc))
    ctx.state = None
    ctx.app.schedule_changed()  # this unit's pending reminders are dropped at once
    return Reply(
        f"Đã lưu báo cáo năm {sub.year} của {unit.name} (phiên bản {sub.version}, "
        f"lúc {local_time(ctx.app, sub.submitted_at)}). Cảm ơn bạn! Gõ /trangthai để xem tình hình."
    )
