"""/baocao: the annual report form, field by field, then a summary to confirm.

Answers live in the dialog state (committed after every message), so a restart
resumes the form (and says so, repeating the question); nothing is written as a
submission until "Xác nhận", and then in one transaction (a new version; old versions
are kept).  Only approved members of an active unit may submit, and only for their own unit.

The flow's steps are declared (``field``, ``check``, ``prefill``, ``confirm``, ``edit``); the
key of the field being asked is kept in ``data["field"]``, so a form field named like a
step cannot take the flow over.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from bot import forms
from bot import quickreport as quick
from bot.codec import Payload
from bot.context import Context
from bot.conversation import DEFAULT_FLOW, begin
from bot.messages import Attachment, Choice, Reply
from bot.router import HandlerResult, Router
from bot.storage.models import Submission, Unit
from bot.store import StoreError
from bot.text import fold, looks_like_question

router = Router("report")

FLOW = "report"
FIELD, CHECK, PREFILL, CONFIRM, EDIT = "field", "check", "prefill", "confirm", "edit"
flow = router.steps(FLOW, FIELD, CHECK, PREFILL, CONFIRM, EDIT, default=FIELD, title="báo cáo hằng năm")

# Choice values of the steps (fixed words; parameterized values go through bot.codec payloads).
OK, CHANGE, CANCEL, BACK = "ok", "edit", "cancel", "back"
ANSWER, QUESTION = "answer", "question"
FROM_LAST, FRESH = "last", "fresh"
CONFIRM_CHOICES = [
    Choice("Xác nhận", OK),
    Choice("Sửa một mục", CHANGE),
    Choice("Hủy", CANCEL),
]
EDIT_WORDS = ("sua", "sua muc", "sua lai", "chinh sua", "doi", "thay doi")
CONFIRM_HINT = (
    "Chưa rõ ý bạn. Chọn Xác nhận để lưu, Hủy để bỏ; để sửa, gõ “sửa”, số thứ tự của mục "
    "(ví dụ “sửa mục 7” hoặc “7”) hoặc tên mục (ví dụ “kinh phí”)."
)


@dataclass(frozen=True, slots=True)
class EditField(Payload, prefix="f"):
    key: str


async def member_unit(ctx: Context) -> tuple[Unit | None, str]:
    """(unit, "") for an approved member; (None, why not) otherwise."""
    store = ctx.app.store
    unit = await asyncio.to_thread(store.approved_unit, ctx.user_id)
    if unit is not None:
        return unit, ""
    m = await asyncio.to_thread(store.current_membership, ctx.user_id)
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


def _data(ctx: Context) -> dict[str, Any]:
    assert ctx.state is not None
    return ctx.state.data


def _answers(ctx: Context) -> dict[str, Any]:
    return dict(_data(ctx).get("answers", {}))


def _ask(ctx: Context, key: str, error: str = "") -> Reply:
    form = ctx.app.form
    f = form.field(key)
    assert ctx.state is not None
    ctx.state.step = FIELD
    _data(ctx)["field"] = key
    years = ctx.app.open_years() if f.type == "year" else None
    default_year = ctx.app.reporting_year() if f.type == "year" else None
    ctx.expects_free_text = forms.takes_free_text(f)
    reply = forms.prompt(
        f,
        number=form.index(key) + 1,
        total=len(form.fields),
        years=years,
        default_year=default_year,
        error=error,
    )
    answers = _answers(ctx)
    if _data(ctx).get("editing") and key in answers:
        reply.text += f"\n(Hiện tại: {forms.display(f, answers[key])})"
    return reply


def _confirm(ctx: Context, note: str = "") -> Reply:
    assert ctx.state is not None
    ctx.state.step = CONFIRM
    data = _data(ctx)
    data["editing"] = False
    header = f"Kiểm tra lại báo cáo của {data['unit_name']}:"
    text = forms.summary(ctx.app.form, data.get("answers", {}), header=header)
    if note:
        text = f"{note}\n\n{text}"
    text += "\n\nChọn Xác nhận để lưu, Sửa một mục để sửa (hoặc gõ số hay tên mục), hoặc Hủy."
    return Reply(text, list(CONFIRM_CHOICES))


def _next(ctx: Context, after: str | None, note: str = "") -> HandlerResult:
    """Ask the next unanswered field after ``after``; the summary when none is left."""
    nxt = ctx.app.form.next_key(after, _answers(ctx))
    if nxt is None:
        nxt = ctx.app.form.next_key(None, _answers(ctx))
    if nxt is None:
        return _confirm(ctx, note)
    return [note, _ask(ctx, nxt)] if note else _ask(ctx, nxt)


@router.command("baocao", description="Nộp báo cáo kết quả hằng năm", keywords=("báo cáo", "nộp báo cáo"))
async def start_report(ctx: Context) -> HandlerResult:
    unit, why = await member_unit(ctx)
    if unit is None:
        return Reply(why)
    form = ctx.app.form
    begin(ctx, FLOW, FIELD, {"unit_id": unit.id, "unit_name": unit.name, "answers": {}})
    intro = f"{form.title}\nĐơn vị: {unit.name}."
    if form.intro:
        intro += f"\n{form.intro}"
    intro += f"\n{quick.HINT}"
    return [Reply(intro), _ask(ctx, form.fields[0].key)]


@flow.on_resume
async def resume(ctx: Context) -> HandlerResult:
    assert ctx.state is not None
    step = ctx.state.step
    if step == CONFIRM:
        return _confirm(ctx)
    if step == EDIT:
        return _edit_menu(ctx)
    if step in (CHECK, PREFILL):
        return _ask(ctx, str(_data(ctx).get("field") or ctx.app.form.fields[0].key))
    return _ask(ctx, _current_key(ctx) or ctx.app.form.fields[0].key)


def _current_key(ctx: Context) -> str | None:
    """The field being asked (``data["field"]``; a state saved by an older version kept it in ``step``)."""
    assert ctx.state is not None
    key = _data(ctx).get("field") or ctx.state.step
    return key if key in ctx.app.form.keys else None


# -------------------------------------------------------------- fields
@flow.step(FIELD)
async def on_field(ctx: Context) -> HandlerResult:
    key = _current_key(ctx)
    if key is None:  # the form changed under a saved state: the first unanswered field
        return _next(ctx, None)
    f = ctx.app.form.field(key)
    msg = ctx.msg
    pasted = quick.parse_message(ctx.app.form, msg.text or "") if f.type != "file" else {}
    if (msg.attachments and f.type != "file") or len(pasted) >= quick.MIN_FIELDS:
        return await _quick(ctx, f, pasted)
    if f.type == "text" and msg.text and msg.choice is None and looks_like_question(msg.text):
        ctx.state.step = CHECK  # type: ignore[union-attr]
        _data(ctx)["pending"] = msg.text
        return Reply(
            f"Đây là câu trả lời cho mục “{f.label}” hay là câu hỏi cho bot?",
            [Choice("Câu trả lời (lưu vào mục này)", ANSWER), Choice("Câu hỏi", QUESTION)],
        )
    return await _store_answer(ctx, f, msg.text, msg.choice, msg.attachments)


async def _store_answer(
    ctx: Context, f: forms.FieldSpec, text: str | None, choice: str | None, attachments: list[Attachment]
) -> HandlerResult:
    def save_file(att: Attachment) -> dict[str, Any]:
        stored = ctx.app.files.save(att, ctx.msg.user_key)
        return {
            "file_id": stored.id,
            "filename": stored.filename,
            "size": stored.size,
            "sha256": stored.sha256,
        }

    years = ctx.app.open_years() if f.type == "year" else None
    try:
        value = await asyncio.to_thread(
            forms.accept,
            f,
            text=text,
            choice=choice,
            attachments=attachments,
            years=years,
            save_file=save_file,
        )
    except forms.FieldError as exc:
        return _ask(ctx, f.key, str(exc))
    answers = _answers(ctx)
    answers[f.key] = value
    _data(ctx)["answers"] = answers
    if f.type == "year":
        last = await _last_version(ctx, int(value))
        if last is not None and not _data(ctx).get("editing"):
            return _offer_prefill(ctx, last)
    if _data(ctx).get("editing"):
        return _confirm(ctx, f"Đã sửa mục “{f.label}”.")
    return _next(ctx, f.key)


@flow.step(CHECK)
async def on_check(ctx: Context) -> HandlerResult:
    """The answer looked like a question: store it, or answer it and ask the field again."""
    data = _data(ctx)
    key = _current_key(ctx) or ctx.app.form.fields[0].key
    f = ctx.app.form.field(key)
    pending = str(data.pop("pending", "") or "")
    if ctx.msg.choice == ANSWER:
        return await _store_answer(ctx, f, pending, None, [])
    if ctx.msg.choice == QUESTION:
        qa = ctx.app.dispatcher.flows.get(DEFAULT_FLOW)
        replies: list[Any] = []
        if qa is not None:
            original = ctx.msg
            ctx.msg = replace(original, text=pending, choice=None)
            replies.append(await qa(ctx))
            ctx.msg = original
        # The answer's own suggestions are not offered here: the form's question comes next.
        flat = [r for item in replies for r in (item if isinstance(item, list) else [item])]
        for r in flat:
            if isinstance(r, Reply):
                r.choices = []
        return [*flat, _ask(ctx, key, "")]
    # Anything else typed: that is the answer now.
    return await on_field(ctx)


# ----------------------------------------------------------- prefill
async def _last_version(ctx: Context, year: int) -> Submission | None:
    return await asyncio.to_thread(ctx.app.store.latest_submission, int(_data(ctx)["unit_id"]), year)


def _offer_prefill(ctx: Context, last: Submission) -> Reply:
    assert ctx.state is not None
    ctx.state.step = PREFILL
    _data(ctx)["prefill_from"] = last.id
    when = ctx.app.local_time(last.submitted_at)
    return Reply(
        f"Đơn vị đã nộp báo cáo năm {last.year} (phiên bản {last.version}, lúc {when}). "
        "Bắt đầu từ bản đã nộp (điền sẵn, chỉ sửa vài mục; tệp đính kèm giữ nguyên nếu không thay) "
        "hay làm lại từ đầu? Nộp lại tạo phiên bản mới; bản cũ vẫn được giữ.",
        [Choice("Bắt đầu từ bản đã nộp", FROM_LAST), Choice("Làm lại từ đầu", FRESH)],
    )


@flow.step(PREFILL)
async def on_prefill(ctx: Context) -> HandlerResult:
    data = _data(ctx)
    year = _answers(ctx).get("year")
    pick = ctx.msg.choice
    if pick == FROM_LAST and year is not None:
        last = await _last_version(ctx, int(year))
        if last is not None:
            answers = {k: v for k, v in (last.answers or {}).items() if k in ctx.app.form.keys}
            answers["year"] = int(year)
            data["answers"] = answers
            data["base_version"] = last.version
            note = f"Đã điền sẵn từ phiên bản {last.version}. Chọn Sửa một mục để thay đổi những gì cần."
            return _next(ctx, "year", note) if ctx.app.form.next_key(None, answers) else _confirm(ctx, note)
    if pick == FRESH:
        return _next(ctx, "year")
    return _offer_prefill_again(ctx)


def _offer_prefill_again(ctx: Context) -> Reply:
    return Reply(
        "Chọn “Bắt đầu từ bản đã nộp” hoặc “Làm lại từ đầu”.",
        [Choice("Bắt đầu từ bản đã nộp", FROM_LAST), Choice("Làm lại từ đầu", FRESH)],
    )


# ----------------------------------------------------------- quick reporting
async def _quick(ctx: Context, f: forms.FieldSpec, pasted: dict[str, Any]) -> HandlerResult:
    """A whole report pasted in one message, or the unit's own document: fill what it says."""
    found, notes = dict(pasted), []
    att = ctx.msg.attachments[0] if ctx.msg.attachments else None
    if att is not None:
        extracted, note = await asyncio.to_thread(quick.parse_document, ctx.app.form, att)
        found.update({k: v for k, v in extracted.items() if k not in found})
        if note:
            notes.append(note)
        file_field = next((x for x in ctx.app.form.fields if x.type == "file"), None)
        if file_field is not None and extracted:
            try:
                stored = await asyncio.to_thread(ctx.app.files.save, att, ctx.msg.user_key)
                found[file_field.key] = {
                    "file_id": stored.id,
                    "filename": stored.filename,
                    "size": stored.size,
                    "sha256": stored.sha256,
                }
            except ValueError as exc:
                notes.append(f"⚠️ {exc}")
    accepted, problems = quick.validate(ctx.app.form, found, ctx.app.open_years())
    if not accepted:
        if att is not None:
            why = (
                "Không đọc được mục nào của báo cáo từ tệp này; "
                "mục này cần trả lời bằng chữ, chưa tới bước gửi tệp."
            )
        else:
            why = "Không đọc được mục nào của báo cáo từ tin nhắn này."
        return _ask(ctx, f.key, " ".join([why, *notes, *problems]))
    answers = _answers(ctx)
    answers.update(accepted)
    _data(ctx)["answers"] = answers
    missing = [x.label for x in ctx.app.form.fields if x.key not in answers and x.required]
    lines = [
        f"Đã điền {len(accepted)} mục từ {'tệp ' + att.filename if att else 'tin nhắn của bạn'}.",
        *notes,
    ]
    lines.extend(problems)
    lines.append(
        forms.summary(ctx.app.form, answers, header="Những gì đã có:", missing="(chưa có)", limit=160)
    )
    if missing:
        lines.append("Còn thiếu: " + "; ".join(missing) + ". Bot hỏi tiếp các mục này.")
    return _next(ctx, None, "\n".join(lines))


# ----------------------------------------------------------- confirm / edit
@flow.step(CONFIRM)
async def on_confirm(ctx: Context) -> HandlerResult:
    pick = ctx.msg.choice
    if pick == CHANGE:
        return _edit_menu(ctx)
    if pick == CANCEL:
        ctx.state = None
        return Reply("Đã hủy. Báo cáo chưa được lưu.")
    if pick == OK:
        return await _submit(ctx)
    key = _field_named(ctx, ctx.msg.text or "")
    if key is not None:
        return _edit(ctx, key)
    if fold(ctx.msg.text or "") in EDIT_WORDS:
        return _edit_menu(ctx)
    return Reply(CONFIRM_HINT, list(CONFIRM_CHOICES))


def _field_named(ctx: Context, text: str) -> str | None:
    """ "sửa mục 7", "7", "mục 7", "kinh phí": the field meant (by number or by label)."""
    words = fold(text).split()
    while words and words[0] in ("sua", "muc", "doi", "so"):
        words = words[1:]
    if not words:
        return None
    fields = ctx.app.form.fields
    if len(words) == 1 and words[0].isdigit():
        n = int(words[0])
        return fields[n - 1].key if 1 <= n <= len(fields) else None
    wanted = " ".join(words)
    for f in fields:
        label = fold(f.label)
        if label.startswith(wanted) or (len(wanted) >= 4 and wanted in label):
            return f.key
    return None


def _edit(ctx: Context, key: str) -> Reply:
    _data(ctx)["editing"] = True
    return _ask(ctx, key)


@flow.step(EDIT)
async def on_edit(ctx: Context) -> HandlerResult:
    target = EditField.unpack(ctx.msg.choice)
    if target is not None and target.key in ctx.app.form.keys:
        return _edit(ctx, target.key)
    if ctx.msg.choice == BACK:
        return _confirm(ctx)
    key = _field_named(ctx, ctx.msg.text or "")
    if key is not None:
        return _edit(ctx, key)
    return _edit_menu(ctx, "Chưa rõ mục nào. Chọn mục cần sửa, gõ số thứ tự hoặc tên mục.")


def _edit_menu(ctx: Context, note: str = "Sửa mục nào?") -> Reply:
    assert ctx.state is not None
    ctx.state.step = EDIT
    choices = [Choice(f.label, EditField(f.key).pack()) for f in ctx.app.form.fields]
    choices.append(Choice("Quay lại", BACK))
    return Reply(note, choices)


async def _submit(ctx: Context) -> HandlerResult:
    data = _data(ctx)
    unit, why = await member_unit(ctx)
    if unit is None or unit.id != data.get("unit_id"):
        ctx.state = None
        return Reply(why or "Bạn không còn là thành viên của đơn vị này; báo cáo không được lưu.")
    answers = _answers(ctx)
    if ctx.app.form.next_key(None, answers) is not None:
        return _next(ctx, None)
    year = int(answers.get("year") or ctx.app.reporting_year())
    assert unit.id is not None
    try:
        sub = await asyncio.to_thread(
            ctx.app.store.submit,
            unit_id=unit.id,
            year=year,
            answers=answers,
            user_id=ctx.user_id,
            actor=ctx.msg.user_key,
            file_id=_file_id(ctx, answers),
            end_flow_of=ctx.msg.user_key,
        )
    except StoreError as exc:
        return _confirm(ctx, str(exc))
    ctx.state = None
    ctx.app.schedule_changed()  # this unit's pending reminders are dropped at once
    if sub.version > 1:
        await _tell_other_members(ctx, unit, sub)
    return Reply(
        f"Đã lưu báo cáo năm {sub.year} của {unit.name} (phiên bản {sub.version}, "
        f"lúc {ctx.app.local_time(sub.submitted_at)}). Cảm ơn bạn! Gõ /trangthai để xem tình hình, "
        "/baocaocuatoi để xem lại báo cáo đã nộp."
    )


def _file_id(ctx: Context, answers: dict[str, Any]) -> int | None:
    for f in ctx.app.form.fields:
        value = answers.get(f.key)
        if f.type == "file" and isinstance(value, dict) and isinstance(value.get("file_id"), int):
            return int(value["file_id"])
    return None


async def _tell_other_members(ctx: Context, unit: Unit, sub: Submission) -> None:
    """A new version replaces what a colleague submitted: the unit's other members are told."""
    assert unit.id is not None
    members = await asyncio.to_thread(ctx.app.store.members, unit.id)
    who = ctx.user.full_name or ctx.user.display_name or ctx.user.external_id
    text = (
        f"{who} vừa nộp phiên bản {sub.version} báo cáo năm {sub.year} của {unit.name}; "
        "phiên bản này thay cho bản trước (bản cũ vẫn được lưu). Gõ /baocaocuatoi để xem."
    )
    for user, _unit in members:
        if user.key != ctx.msg.user_key:
            await ctx.app.notify(user.key, text)
