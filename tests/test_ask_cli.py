"""``directive-bot ask``: one question (text or --json), and the batch JSON-lines contract of score.py."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.commands.ask import batch

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("KNOWLEDGE_PACK", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )


def test_ask_prints_answer_and_sources() -> None:
    proc = run_cli("Ai ký công văn 5500/UBND-NC?")
    assert proc.returncode == 0, proc.stderr
    assert "Đặng Văn Minh" in proc.stdout
    assert "Nguồn:" in proc.stdout and "5500/UBND-NC" in proc.stdout


def test_ask_json_with_unit() -> None:
    proc = run_cli("chúng tôi dùng kinh phí nào", "--unit", "Sở Xây dựng", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"answer", "answered", "confidence", "sources", "suggestions"}
    assert out["answered"] is True and "1790" in out["answer"] and "Sở Xây dựng" in out["answer"]
    assert all(set(s) == {"document", "ref", "quote"} for s in out["sources"])


def test_ask_json_declines_out_of_scope() -> None:
    out = json.loads(run_cli("Giá xăng hôm nay", "--json").stdout)
    assert out["answered"] is False and out["suggestions"]


def test_batch_contract_one_line_out_per_line_in_same_order() -> None:
    rows = [
        {"question": "QĐ 1790 ngày bao nhiêu"},
        {"question": "chúng tôi áp dụng kinh phí nào", "unit": "UBND huyện Sơn Hà"},
        {"question": "Hôm nay trời có mưa không"},
        {"question": "Quyết định 999/QĐ-UBND quy định gì"},
    ]
    feed = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    proc = run_cli("--json", "-", stdin=feed)
    assert proc.returncode == 0, proc.stderr
    outs = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(outs) == 4
    assert "22/11/2019" in outs[0]["answer"] and outs[0]["answered"]
    assert "UBND huyện Sơn Hà" in outs[1]["answer"] and "Khoản 1" in outs[1]["answer"]
    assert outs[2]["answered"] is False
    assert outs[3]["answered"] is False and "999" in outs[3]["answer"]


def test_batch_survives_bad_lines(qa_engine) -> None:  # type: ignore[no-untyped-def]
    stdin = io.StringIO('not json\n[1, 2]\n{"unit": "x"}\n\n{"question": "Ai ký công văn?", "unit": 5}\n')
    stdout = io.StringIO()
    assert batch(qa_engine, stdin, stdout) == 0
    outs = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert len(outs) == 4  # the blank line is skipped, every other line answered
    assert [o["answered"] for o in outs] == [False, False, False, True]
    assert outs[0]["error"] == "bad_input" and "question" in outs[0]["answer"]


def test_bad_pack_folder_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli("Ai ký?", "--pack", str(tmp_path))
    assert proc.returncode == 2
    assert "gói tri thức" in proc.stderr


@pytest.mark.parametrize("module", ["telegram", "sqlalchemy", "sqlmodel", "aiohttp", "apscheduler", "httpx"])
def test_ask_path_imports_no_heavy_stack(module: str) -> None:
    code = (
        "import sys; from bot.cli import main; "
        "main(['ask', 'Ai ký công văn?', '--json']); "
        f"hit = any(m == {module!r} or m.startswith({module!r} + '.') for m in sys.modules); "
        "print('LOADED' if hit else 'CLEAN')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("CLEAN"), proc.stdout
