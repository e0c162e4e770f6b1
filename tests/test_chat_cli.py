"""``directive-bot chat`` and ``chat --jsonl`` as real subprocesses: the whole journey in one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN

REPO = Path(__file__).resolve().parent.parent


def env_for(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "BOT_ADMINS": f"console:{ADMIN}",
        "FILES_DIR": str(tmp_path / "files"),
        "MAX_ATTACHMENT_MB": "1",
        "PYTHONPATH": str(REPO),
    }


def run_jsonl(
    lines: list[dict[str, Any] | str], env: dict[str, str], cwd: Path
) -> list[list[dict[str, Any]]]:
    """Feed all lines at once; return the output grouped per input (split at {"done": true})."""
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--jsonl"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    groups: list[list[dict[str, Any]]] = [[]]
    for raw in r.stdout.splitlines():
        obj = json.loads(raw)  # every stdout line is JSON
        if obj == {"done": True}:
            groups.append([])
        else:
            groups[-1].append(obj)
    assert groups[-1] == []
    return groups[:-1]


def texts(group: list[dict[str, Any]], to: str | None = None) -> str:
    return "\n".join(o["text"] for o in group if to is None or o.get("to") == to)


@pytest.mark.slow
def test_whole_journey_over_jsonl(db_url: str, tmp_path: Path) -> None:
    env = env_for(db_url, tmp_path)
    report = [
        {"text": "2024"},
        {"text": "4"},
        {"text": "Mô hình Tổ tự quản"},
        {"text": "Giảm tội phạm"},
        {"choice": "skip"},
        {"text": "bo qua"},
        {"text": "150 triệu"},
        {"file": "REPORT"},
        {"text": "Xác nhận"},
    ]
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(b"%PDF-1.4 test")
    lines: list[dict[str, Any] | str] = [
        {"user": ADMIN, "text": "/start"},
        {"user": "lan", "text": "/dangky so y te"},
        {"user": "lan", "text": "1"},
        {"user": "minh", "text": "/dangky"},
        {"user": "minh", "text": "huyen ba to"},
        {"user": "minh", "text": "UBND huyện Ba Tơ"},
        {"user": ADMIN, "text": "/duyet"},
        {"user": ADMIN, "text": "/duyet ok 1"},
        {"user": ADMIN, "choice": "/duyet ok 2"},
        {"user": "lan", "text": "/baocao"},
        *[{"user": "lan", **({"file": str(pdf)} if step.get("file") else step)} for step in report],
        {"user": "minh", "text": "/baocao"},
        *[{"user": "minh", **({"choice": "skip"} if step.get("file") else step)} for step in report],
        {"user": "lan", "text": "/trangthai 2024"},
        {"user": ADMIN, "text": "/trangthai 2024"},
        {"user": ADMIN, "text": "/tonghop 2024"},
        {"user": ADMIN, "text": "/thongbao Nộp báo cáo trước 15/12"},
        {"user": ADMIN, "choice": "send"},
        "not json",
        {"text": "no user"},
        {"user": "lan", "text": 5},
        {"user": "lan", "file": str(tmp_path / "missing.pdf")},
        {"user": "lan", "text": "Đơn vị mình dùng kinh phí nào?"},
    ]
    out = run_jsonl(lines, env, tmp_path)
    assert len(out) == len(lines)
    g = iter(out)
    assert "5500/UBND-NC" in texts(next(g))
    first = next(g)
    assert first[0]["choices"][0] == {"label": "Sở Y tế", "value": first[0]["choices"][0]["value"]}
    reg = next(g)
    assert "Đã gửi yêu cầu tham gia Sở Y tế" in texts(reg, "lan")
    assert "Sở Y tế" in texts(reg, ADMIN)  # the admin is notified in the same process
    next(g)
    next(g)
    assert "Đã gửi yêu cầu tham gia UBND huyện Ba Tơ" in texts(next(g), "minh")  # answered by label
    assert "console:lan" in texts(next(g))
    approve1 = next(g)
    assert "Đã duyệt" in texts(approve1, ADMIN) and "đã được duyệt" in texts(approve1, "lan")
    assert "đã được duyệt" in texts(next(g), "minh")
    assert "Báo cáo kết quả" in texts(next(g))  # lan: /baocao
    for _ in range(len(report)):
        last = next(g)
    assert texts(last).startswith("Đã lưu báo cáo năm 2024 của Sở Y tế (phiên bản 1")
    next(g)  # minh: /baocao
    for _ in range(len(report)):
        last = next(g)
    assert texts(last).startswith("Đã lưu báo cáo năm 2024 của UBND huyện Ba Tơ (phiên bản 1")
    next_g = next(g)
    assert texts(next_g).startswith("Sở Y tế đã nộp báo cáo năm 2024: phiên bản 1")
    assert "2/" in texts(next(g))
    overview = texts(next(g))
    assert "Đã nộp: 2/" in overview and "Tổng số mô hình hiệu quả được duy trì, nhân rộng: 8" in overview
    assert "Xem trước" in texts(next(g), ADMIN)
    broadcast = next(g)
    assert {o["to"] for o in broadcast} == {"lan", "minh", ADMIN}
    assert "Nộp báo cáo trước 15/12" in texts(broadcast, "lan")
    assert "đã gửi thông báo tới 2/2" in texts(broadcast, ADMIN).lower()
    for _ in range(4):
        bad = next(g)
        assert len(bad) == 1 and "error" in bad[0], bad
    qa = texts(next(g), "lan")
    assert "1790" in qa and "Nguồn" in qa

    from bot.storage.db import make_engine
    from bot.store import Store

    engine = make_engine(db_url)
    try:
        store = Store(engine)
        subs = store.submissions(year=2024)
        assert len(subs) == 2
        with_file = [s for s in subs if s.file_id]
        assert len(with_file) == 1 and store.get_file(with_file[0].file_id).filename == "bao-cao.pdf"
        assert [q.question for q in store.questions()] == ["Đơn vị mình dùng kinh phí nào?"]
    finally:
        engine.dispose()

    # The export of the same database, by the CLI.
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--year", "2024", "--format", "json"],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    doc = json.loads(r.stdout)
    assert doc["submitted"] == 2 and {r["unit"] for r in doc["rows"] if r["submitted"]} == {
        "Sở Y tế",
        "UBND huyện Ba Tơ",
    }

    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "questions", "--declined"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert r.returncode == 0 and "Không có câu hỏi nào bị từ chối" in r.stdout


def test_oversized_file_over_jsonl_reasks(sqlite_url: str, tmp_path: Path) -> None:
    env = env_for(sqlite_url, tmp_path)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"0" * (1024 * 1024 + 10))
    lines: list[dict[str, Any] | str] = [
        {"user": ADMIN, "text": "/moi Sở Y tế"},
    ]
    out = run_jsonl(lines, env, tmp_path)
    code = texts(out[0]).split("Mã mời cho Sở Y tế: ")[1].split()[0]
    steps = ["2024", "4", "Tên", "Kết quả", "bỏ qua", "bỏ qua", "bỏ qua"]
    lines = [{"user": "lan", "text": f"/dangky {code}"}, {"user": "lan", "text": "/baocao"}]
    lines += [{"user": "lan", "text": s} for s in steps]
    lines += [{"user": "lan", "file": str(big)}, {"user": "lan", "text": "bỏ qua"}]
    out = run_jsonl(lines, env, tmp_path)
    assert "Bạn đã là thành viên của Sở Y tế" in texts(out[0])
    assert "quá lớn" in texts(out[-2]) and "(8/8)" in texts(out[-2])
    assert "Kiểm tra lại báo cáo" in texts(out[-1])


def test_questions_declined_lists_what_the_bot_could_not_answer(sqlite_url: str, tmp_path: Path) -> None:
    env = env_for(sqlite_url, tmp_path)
    run_jsonl(
        [{"user": "lan", "text": "Giá vàng hôm nay bao nhiêu?"}, {"user": "lan", "text": "Ai ký công văn?"}],
        env,
        tmp_path,
    )
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "questions", "--declined"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert r.returncode == 0
    assert "Giá vàng hôm nay bao nhiêu?" in r.stdout and "TỪ CHỐI" in r.stdout
    assert "Ai ký công văn?" not in r.stdout
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "questions", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["declined"] for x in rows] == [False, True]


def test_interactive_chat_with_piped_input(sqlite_url: str, tmp_path: Path) -> None:
    env = env_for(sqlite_url, tmp_path)
    stdin = (
        "\n".join(
            ["/dangky so tai chinh", "1", f"!user {ADMIN}", "/duyet", "1", "!user lan", "/trangthai", "!quit"]
        )
        + "\n"
    )
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--user", "lan"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "bạn là console:lan" in out
    assert "  1. Sở Tài chính" in out  # choices as numbered lines
    assert "Đã gửi yêu cầu tham gia Sở Tài chính" in out
    assert f"Đã chuyển sang console:{ADMIN} (quản trị viên)." in out
    assert "Đã duyệt yêu cầu #1" in out
    assert "Bot → lan: Yêu cầu tham gia Sở Tài chính của bạn đã được duyệt" in out
    assert "Sở Tài chính chưa nộp báo cáo năm" in out
