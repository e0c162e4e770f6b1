"""The admin overviews in chat (``/trangthai``, ``/tonghop``), paged for a province of hundreds of units.

An overview of 700 units was one 150,000-character reply (38 Telegram messages). Now
the reply is the summary (counts per category, totals) and one page of the detail
("Trang 1/8"), with choices for the previous/next page and for each category, and the
full list as a CSV file on the first page. A registry that fits in one page gets the
whole text as before, without choices or file.

Arguments (diacritics optional): ``/trangthai [NĂM] [nhom CATEGORY] [trang N]``; the
choices carry them, so pressing a button (or typing its number on Zalo) runs the
command again with the next page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.codec import parse_year
from bot.export import category_counts, overview, to_csv
from bot.forms import display
from bot.forms import label as field_label
from bot.lateness import mark_late
from bot.messages import Choice, OutFile, Reply
from bot.text import fold

PAGE_CHARS = 3000  # one Telegram message (4,096) with the summary
PAGE_LINES = 30
WHOLE_CHARS = 3500  # an overview this short is sent whole (one Telegram message), as before
CSV = "text/csv"


@dataclass(frozen=True, slots=True)
class View:
    year: int
    page: int = 1
    category: str | None = None


def parse_view(args: str, default_year: int, command: str) -> View | str:
    """``[YEAR] [nhom CATEGORY] [trang N]`` -> View, or a Vietnamese error text."""
    words = (args or "").split()
    year, page, category = default_year, 1, None
    i = 0
    while i < len(words):
        w = fold(words[i])
        nxt = words[i + 1] if i + 1 < len(words) else ""
        two = parse_year(" ".join(words[i : i + 2])) if i + 1 < len(words) else None
        if two is not None:  # "năm 2023" (the codec's own year syntax, as plain-word commands use it)
            year, i = two, i + 2
        elif parse_year(words[i]) is not None:
            year, i = parse_year(words[i]) or year, i + 1
        elif w == "trang" and nxt.isdecimal() and len(nxt) <= 4:
            page = max(1, int(nxt))
            i += 2
        elif w == "nhom" and nxt.isascii() and nxt.replace("_", "").isalpha() and len(nxt) <= 40:
            category = nxt.lower()
            i += 2
        else:
            return (
                f"Cú pháp: /{command} [NĂM] [nhom NHÓM] [trang SỐ], ví dụ /{command} 2024 hoặc "
                f"/{command} 2024 trang 2. Năm phải là số có 4 chữ số."
            )
    return View(year, page, category)


def paginate(lines: list[str], chars: int = PAGE_CHARS, max_lines: int = PAGE_LINES) -> list[list[str]]:
    """Greedy pages of at most ``max_lines`` lines and about ``chars`` characters."""
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if pages[-1] and (len(pages[-1]) >= max_lines or size + len(line) + 1 > chars):
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line) + 1
    return pages


def status_lines(app: Any, year: int, rows: list[Any]) -> tuple[list[str], list[str]]:
    """(summary, detail) of ``/trangthai`` for an admin."""
    done = sum(1 for r in rows if r.submitted)
    head = [f"Tình hình nộp báo cáo năm {year}: {done}/{len(rows)} đơn vị đã nộp."]
    for cat, sub, total in category_counts(rows):
        head.append(f"• {app.category_label(cat)}: {sub}/{total}")
    body: list[str] = []
    missing = [r for r in rows if not r.submitted]
    if missing:
        body += ["", f"Chưa nộp ({len(missing)}):"]
        current = None
        for r in missing:
            if r.unit.category != current:
                current = r.unit.category
                body.append(f"[{app.category_label(current)}]")
            body.append(f"  - {r.unit.name}")
    submitted = [r for r in rows if r.submitted]
    if submitted:
        late = sum(1 for r in submitted if r.late)
        body += ["", f"Đã nộp ({len(submitted)}" + (f", trong đó {late} nộp muộn):" if late else "):")]
        for r in submitted:
            s = r.submission
            mark = " — nộp muộn" if r.late else ""
            body.append(f"  - {r.unit.name}: phiên bản {s.version}, {app.local_time(s.submitted_at)}{mark}")
    return head, body


def compiled_lines(
    app: Any, year: int, rows: list[Any], *, one_line_missing: bool = True
) -> tuple[list[str], list[str]]:
    """(summary, detail) of ``/tonghop``: totals of the numeric fields, then each unit's answers."""
    form = app.form
    done = [r for r in rows if r.submitted]
    late = sum(1 for r in done if r.late)
    head = [
        f"TỔNG HỢP KẾT QUẢ NĂM {year}",
        f"Đã nộp: {len(done)}/{len(rows)} đơn vị." + (f" Trong đó {late} nộp muộn." if late else ""),
    ]
    for cat, sub, total in category_counts(rows):
        head.append(f"• {app.category_label(cat)}: {sub}/{total}")
    numeric = [f for f in form.fields if f.type in ("integer", "money") and f.key != "year"]
    for f in numeric:
        total = sum(int(r.submission.answers.get(f.key) or 0) for r in done)
        label = field_label(f)
        head.append(f"Tổng {label[:1].lower() + label[1:]}: {display(f, total)}")
    body: list[str] = []
    if done:
        body += ["", "Chi tiết các đơn vị đã nộp:"]
        body += [_unit_line(form, numeric, r) for r in done]
    missing = [r.unit.name for r in rows if not r.submitted]
    if missing:
        body += ["", f"Chưa nộp ({len(missing)}):"]
        body += [f"  - {n}" for n in missing]  # one per line (issue 15 item 11)
    return head, body


def _unit_line(form: Any, numeric: list[Any], r: Any) -> str:
    """``- Unit (phiên bản 2): numbers; the first text answer, cut at 120 characters``."""
    a = r.submission.answers
    parts = [f"{field_label(f)}: {display(f, a.get(f.key))}" for f in numeric if a.get(f.key) is not None]
    text_fields = [f for f in form.fields if f.type == "text" and a.get(f.key)]
    if text_fields:
        first = display(text_fields[0], a.get(text_fields[0].key))
        parts.append(f"{text_fields[0].label}: {first[:120]}{'…' if len(first) > 120 else ''}")
    late = ", nộp muộn" if r.late else ""
    return f"- {r.unit.name} (phiên bản {r.submission.version}{late}): " + "; ".join(parts)


Lines = Callable[[Any, int, list[Any]], tuple[list[str], list[str]]]


def paged_reply(app: Any, command: str, view: View, lines: Lines, file_prefix: str, whole: Lines) -> Reply:
    """The overview for ``view`` (runs in a worker thread: one SQL statement, then formatting)."""
    rows = overview(app.store, view.year)
    mark_late(app, view.year, rows)
    # Each unit takes a line of 20+ characters: a long registry cannot fit, do not format it twice.
    if view.category is None and view.page == 1 and len(rows) * 20 <= WHOLE_CHARS:
        head, body = whole(app, view.year, rows)
        text = "\n".join(head + body)
        if len(text) <= WHOLE_CHARS:
            return Reply(text)  # a small registry: everything at once, as before
    shown = [r for r in rows if view.category is None or r.unit.category == view.category]
    head, body = lines(app, view.year, shown)
    pages = paginate([ln for ln in body if ln != ""] or ["(không có đơn vị nào)"])
    page = min(view.page, len(pages))
    title = []
    if view.category is not None:
        title = [f"Nhóm: {app.category_label(view.category)}"]
    text = "\n".join([*title, *head, "", f"Trang {page}/{len(pages)}:", *pages[page - 1]])
    choices = _nav(command, view, page, len(pages), rows, app)
    files = []
    if page == 1 and view.category is None:
        files = [OutFile(f"{file_prefix}-{view.year}.csv", to_csv(rows, app.form, app.category_label), CSV)]
        text += "\n\nDanh sách đầy đủ: tệp CSV đính kèm (mở bằng Excel)."
    return Reply(text, choices, files)


def _compiled_paged(app: Any, year: int, rows: list[Any]) -> tuple[list[str], list[str]]:
    return compiled_lines(app, year, rows, one_line_missing=False)


def _nav(command: str, view: View, page: int, pages: int, rows: list[Any], app: Any) -> list[Choice]:
    base = f"/{command} {view.year}" + (f" nhom {view.category}" if view.category else "")
    out: list[Choice] = []
    if page > 1:
        out.append(Choice(f"◀ Trang {page - 1}/{pages}", f"{base} trang {page - 1}"))
    if page < pages:
        out.append(Choice(f"Trang {page + 1}/{pages} ▶", f"{base} trang {page + 1}"))
    for cat, sub, total in category_counts(rows):
        if cat != view.category:
            out.append(
                Choice(f"{app.category_label(cat)} ({sub}/{total})", f"/{command} {view.year} nhom {cat}")
            )
    if view.category is not None:
        out.append(Choice("Tất cả các nhóm", f"/{command} {view.year}"))
    return out


def status_reply(app: Any, view: View) -> Reply:
    return paged_reply(app, "trangthai", view, status_lines, "trang-thai", status_lines)


def compiled_reply(app: Any, view: View) -> Reply:
    return paged_reply(app, "tonghop", view, _compiled_paged, "tong-hop", compiled_lines)
