"""``directive-bot ask``: answer one question, or a batch of JSON lines (the contract of score.py).

    directive-bot ask "Sở Y tế dùng kinh phí nào?" [--unit "Sở Y tế"] [--json] [--pack DIR]
    directive-bot ask --json -   # stdin: {"question", "unit"?} per line; stdout: one object per line

Kept light on purpose: imports only :mod:`knowledge` (PyYAML + rapidfuzz), no Telegram stack, no database,
so a cold start stays well under a second.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="hỏi một câu về văn bản (hoặc '-' để đọc nhiều câu JSON từ stdin)")
    p.add_argument(
        "question", nargs="+", help='câu hỏi; \'-\' để đọc từng dòng JSON {"question", "unit"} từ stdin'
    )
    p.add_argument("--unit", default=None, help="đơn vị của người hỏi (để cá nhân hóa câu trả lời)")
    p.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    p.add_argument("--pack", default=None, help="thư mục gói tri thức (mặc định: gói 5500/UBND-NC kèm theo)")
    p.set_defaults(func=run)


def _engine(pack_dir: str | None):  # -> QAEngine or Library (same answer interface)
    from knowledge.library import load_library

    return load_library(pack_dir)


def run(args: argparse.Namespace) -> int:
    from knowledge import PackError

    try:
        engine = _engine(args.pack)
    except PackError as exc:
        print(f"Lỗi gói tri thức: {exc}", file=sys.stderr)
        return 2
    unit = args.unit
    if unit is not None and known_unit(engine, unit) is None:
        print(
            f"Không có đơn vị “{unit[:80]}” trong danh sách đơn vị của văn bản; "
            "câu trả lời không theo đơn vị nào.",
            file=sys.stderr,
        )
        unit = None
    elif unit is not None:
        unit = known_unit(engine, unit)
    question = " ".join(args.question).strip()
    try:
        if question == "-":
            return batch(engine, sys.stdin, sys.stdout, json_out=args.json, default_unit=unit)
        ans = engine.answer(question, unit=unit)
        out = ans.to_json()
        if args.unit is not None and unit is None:
            out["warning"] = f"unknown_unit: {args.unit[:80]}"
        print(json.dumps(out, ensure_ascii=False) if args.json else ans.render())
    except BrokenPipeError:  # `ask ... | head`
        return 0
    return 0


def known_unit(engine: Any, name: str) -> str | None:
    """The pack's name for the unit ``name`` (fuzzy, diacritics optional), or None."""
    pack = getattr(engine, "pack", None)
    units = list(getattr(pack, "units", []) or [])
    if not units:
        return name
    from knowledge.units import UnitMatcher

    matches = UnitMatcher(units).match(name, 1)
    if matches and matches[0][1] >= 80:
        return str(matches[0][0].name)
    return None


def batch(
    engine: Any, stdin: TextIO, stdout: TextIO, *, json_out: bool = True, default_unit: str | None = None
) -> int:
    """One JSON object out per input line, same order.  A malformed line gets a declined answer with an error
    message instead of stopping the batch (the caller counts lines).

    Conversations: a line may carry ``"session": "<id>"``; consecutive lines with the same session share
    context (each answer's ``context`` is passed with the next question of that session), so follow-ups
    ("ông ấy giữ chức vụ gì?") can be scored from the command line.  A line without a session, or with an
    explicit ``"context"``, is answered on its own (or with that context)."""
    session_id: str | None = None
    session_ctx: dict[str, Any] | None = None
    for line in stdin:
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("dòng không phải một đối tượng JSON")
            question = row.get("question", row.get("q"))
            if not isinstance(question, str) or not question.strip():
                raise ValueError('thiếu trường "question" (chuỗi)')
            unit = row.get("unit") or default_unit
            session = row.get("session")
            session = str(session) if isinstance(session, (str, int)) and session != "" else None
            context = row.get("context") if isinstance(row.get("context"), dict) else None
            if context is None and session is not None and session == session_id:
                context = session_ctx
            ans = engine.answer(question, unit=unit if isinstance(unit, str) else None, context=context)
            session_id, session_ctx = session, (dict(ans.context or {}) if session is not None else None)
            out = ans.to_json()
        except ValueError as exc:
            why = str(exc) if not isinstance(exc, json.JSONDecodeError) else f"không phải JSON ({exc.msg})"
            out = {
                "answer": 'Dòng vào không hợp lệ: cần một đối tượng JSON có trường "question".',
                "answered": False,
                "confidence": 0.0,
                "sources": [],
                "suggestions": [],
                "error": "bad_input",
                "message": f"Dòng vào không hợp lệ: {why}.",
            }
        if json_out:
            stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        else:
            stdout.write(out["answer"] + "\n\n")
        stdout.flush()
    return 0
