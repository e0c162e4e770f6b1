"""Date awareness: the document's period (``meta.period``) compared with today.

"Công văn còn hiệu lực không?", "giai đoạn 2021 - 2025 đã kết thúc chưa?", "năm 2026 còn phải báo cáo theo
công văn này không?": the answer says, by today's date (the bot's clock), whether the period has ended, that
the document does not say what follows, and whom to ask (the pack's ``contact``).
"""

from __future__ import annotations

import datetime as dt

from knowledge.answer import Answer
from knowledge.meta import MetaFacts

__all__ = ["period_answer"]


def _year(value: object) -> int | None:
    try:
        return int(str(value).strip()[-4:])
    except (TypeError, ValueError):
        return None


def period_answer(facts: MetaFacts, today: dt.date, asked_year: int | None = None) -> Answer:
    """The period status on ``today`` (or in ``asked_year`` when the question names a later year)."""
    period = facts.period
    start, end = _year(period.get("start")), _year(period.get("end"))
    span = str(period.get("text") or (f"giai đoạn {start} - {end}" if start and end else ""))
    src = facts.source_for(span) if span else []
    ask = f" Đề nghị liên hệ {facts.contact} để được hướng dẫn." if facts.contact else ""
    issued = f" (ban hành ngày {facts.date})" if facts.date else ""
    today_s = today.strftime("%d/%m/%Y")
    year = max(asked_year or today.year, today.year) if asked_year and asked_year > today.year else today.year
    if end is None:
        text = (
            f"{facts.label}{issued} không nêu thời hạn áp dụng hay ngày hết hiệu lực, nên tôi "
            f"không khẳng định được văn bản còn hay hết hiệu lực vào hôm nay ({today_s}).{ask}"
        )
        return Answer(text=text, answered=True, confidence=0.8, sources=src, kind="answer", entry_id="period")
    when = f"năm {asked_year}" if asked_year and asked_year != today.year else f"hôm nay ({today_s})"
    if (asked_year or today.year) > end or (asked_year is None and today.year > end):
        text = (
            f"{facts.label}{issued} áp dụng cho {span}, tức đến hết năm {end}. Tính đến {when}, "
            f"giai đoạn này đã kết thúc. Văn bản không nói gì về việc thực hiện hay báo cáo "
            f"sau năm {end} (giai đoạn tiếp theo), nên tôi không khẳng định được còn phải thực hiện "
            f"theo văn bản này hay không.{ask}"
        )
    elif start is not None and year < start:
        text = f"{facts.label}{issued} áp dụng cho {span}; tính đến {when}, giai đoạn này chưa bắt đầu.{ask}"
    else:
        text = (
            f"{facts.label}{issued} áp dụng cho {span}; tính đến {when}, văn bản vẫn trong giai đoạn áp dụng "
            f"(đến hết năm {end})."
        )
    return Answer(
        text=text, answered=True, confidence=0.85, sources=src, kind="answer", entry_id="period_status"
    )
