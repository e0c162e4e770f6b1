"""Free text outside any flow: question answering over the knowledge pack.

The asker's approved unit (if any) personalises the answer ("đơn vị mình"), the
previous answer's context allows follow-ups ("còn Sở Y tế thì sao?"), and every
question goes to the question log with its answer, confidence and whether the bot
declined.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.context import Context
from bot.conversation import DEFAULT_FLOW
from bot.messages import Choice, Reply
from bot.router import Router

log = logging.getLogger(__name__)

router = Router("qa")
MAX_QUESTION = 1000


def format_answer(answer: Any) -> str:
    """The answer text followed by its sources; suggestions are sent as choices instead."""
    render = getattr(answer, "render", None)
    if callable(render):
        return str(render(sources=True, suggestions=False))
    return str(getattr(answer, "text", ""))


def declined(answer: Any) -> bool:
    """A real question the bot could not answer (greetings and help are not declines)."""
    flag = getattr(answer, "declined", None)
    return bool(flag) if flag is not None else not bool(getattr(answer, "answered", False))


@router.flow(DEFAULT_FLOW)
async def answer_question(ctx: Context) -> Reply:
    question = (ctx.msg.text or "").strip()
    if len(question) > MAX_QUESTION:
        return Reply(
            f"Câu hỏi quá dài ({len(question)} ký tự). Vui lòng hỏi ngắn gọn, dưới {MAX_QUESTION} ký tự."
        )
    store = ctx.app.store
    unit = await asyncio.to_thread(store.approved_unit, ctx.user_id)
    unit_name = unit.name if unit is not None else None
    # "today" by the bot's clock: "is the directive still in force?" is answered against it
    today = ctx.app.now().date()  # local (Asia/Ho_Chi_Minh) date
    answer = ctx.app.qa.answer(question, unit=unit_name, context=ctx.qa_context, today=today)
    ctx.qa_context = dict(getattr(answer, "context", None) or {}) or None
    text = format_answer(answer)
    await asyncio.to_thread(
        store.log_question,
        user_key=ctx.msg.user_key,
        unit_name=unit_name,
        question=question,
        answer=text,
        confidence=float(getattr(answer, "confidence", 0.0) or 0.0),
        answered=not declined(answer),
    )
    suggestions = [str(s) for s in (getattr(answer, "suggestions", None) or [])][:3]
    # A suggestion pressed (or its number typed) comes back as its label: asked as a question.
    choices = [Choice(s[:200], f"qs:{i}") for i, s in enumerate(suggestions, 1)]
    return Reply(text, choices)
