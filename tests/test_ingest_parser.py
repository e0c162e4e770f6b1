"""The ingestion parser on the four shared real documents, and ``directive-bot ingest`` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from knowledge.ingest.bodies import Registry
from knowledge.ingest.build import ingest_text
from knowledge.ingest.reader import extract_text
from knowledge.library import load_registry

DATA = Path(__file__).parent / "data" / "directives"
REPO = Path(__file__).resolve().parents[1]


def parse(name: str):
    path = DATA / name
    return ingest_text(extract_text(path.read_bytes(), path.name), Registry(load_registry()))


def refs(result) -> dict[str, dict]:
    return {p["ref"]: p for p in result.passages}


def test_decision_with_attached_plan():
    r = parse("3210-QD-UBND-HCM-2014.md")
    m = r.pack["meta"]
    assert (m["number"], m["kind"], m["date"], m["place"]) == (
        "3210/QĐ-UBND",
        "quyết định",
        "28/06/2014",
        "Thành phố Hồ Chí Minh",
    )
    assert m["signer"]["name"] == "Nguyễn Hữu Tín" and m["signer"]["signs_as"].startswith("KT. CHỦ TỊCH")
    assert r.pack["attachments"][0]["part"] == "Kế hoạch kèm theo"
    by_ref = refs(r)
    step4 = by_ref["Kế hoạch kèm theo, Mục II, khoản 2, điểm 2.4"]
    assert "trước ngày 30 tháng 9 năm 2014" in step4["deadlines"]
    sxd = by_ref["Kế hoạch kèm theo, Mục III, khoản 2, điểm 2.2, gạch đầu dòng 1"]
    assert sxd["lead"] == "Sở Xây dựng" and "Sở Tài chính" in sxd["support"]
    assert any(d["number"] == "09/2013/TT-BXD" for d in r.pack["documents"])
    assert len(r.pack["grounds"]) == 5 and len(r.pack["recipients"]) == 12


def test_short_decision_articles_and_distributed_list():
    r = parse("6154-QD-UBND-HN-2011.md")
    by_ref = refs(r)
    assert (
        by_ref["Điều 1, khoản 4"]["topics"] == ["duty", "funding"]
        or "funding" in by_ref["Điều 1, khoản 4"]["topics"]
    )
    art3 = by_ref["Điều 3"]
    assert {"Sở Tài chính", "Sở Y tế", "kho bạc Nhà nước Hà Nội"} <= set(art3["bodies"])
    assert r.pack["meta"]["signer"]["signs_as"] == "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    assert r.pack["reporting"] == []  # the decision sets no reporting duty


def test_national_plan_parts_and_role_headings():
    r = parse("252-KH-BCDQG1237-2013.md")
    by_ref = refs(r)
    assert r.pack["meta"]["issuer"].startswith("Ban Chỉ đạo quốc gia")
    lead = by_ref["Phần B, Mục I, khoản 2, điểm a, gạch đầu dòng 1"]
    assert lead["lead"] == "Ban Chỉ đạo quốc gia"
    assert "Tháng 12/2013" in by_ref["Phần B, Mục I, khoản 3"]["deadlines"]
    assert by_ref["Đoạn kết"]["text"].startswith("Trong quá trình")
    assert r.pack["meta"]["signer"]["name"] == "Nguyễn Thiện Nhân"


def test_provincial_plan_sections_bodies_reporting():
    r = parse("1026-KH-UBND-NA-2025.md")
    m = r.pack["meta"]
    assert m["issuer"] == "Ủy ban nhân dân tỉnh Nghệ An" and m["province"] == "Nghệ An"
    by_ref = refs(r)
    assert by_ref["Mục III, khoản 4"]["lead"] == "Sở Nội vụ"
    assert by_ref["Mục III, khoản 1, gạch đầu dòng 1"]["lead"] == "Công an tỉnh"
    report = [x for x in r.pack["reporting"] if x["ref"] == "Mục IV, khoản 1"]
    assert report and "Công an tỉnh" in report[0]["report_to"]
    assert r.pack["funding"] == []
    assert r.obligations and all("trích từ văn bản" in o["origin"] for o in r.obligations)


def test_every_passage_is_verbatim():
    for name in ("1026-KH-UBND-NA-2025.md", "3210-QD-UBND-HCM-2014.md"):
        r = parse(name)
        flat = " ".join(r.text.split())
        for p in r.passages:
            assert " ".join(p["text"].split()) in flat, p["ref"]


def _cli(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.mark.slow
def test_ingest_then_ask_json(tmp_path):
    out = tmp_path / "packs"
    proc = _cli("ingest", str(DATA / "6154-QD-UBND-HN-2011.md"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "6154/QĐ-UBND" in proc.stdout and (out / "6154-QD-UBND" / "pack.yaml").is_file()
    data = yaml.safe_load((out / "6154-QD-UBND" / "pack.yaml").read_text(encoding="utf-8"))
    assert data["meta"]["date"] == "30/12/2011" and not (out / "6154-QD-UBND" / "qa.yaml").exists()
    feed = json.dumps({"question": "Ai ký Quyết định 6154/QĐ-UBND?"}, ensure_ascii=False) + "\n"
    env = {"KNOWLEDGE_PACKS": f"{REPO / 'knowledge' / 'packs'},{out}"}
    ask = _cli("ask", "--json", "-", stdin=feed, env=env)
    row = json.loads(ask.stdout.splitlines()[0])
    assert row["answered"] and "Nguyễn Huy Tưởng" in row["answer"]
    listed = _cli("packs", "list", env=env)
    assert "6154/QĐ-UBND" in listed.stdout and "5500/UBND-NC" in listed.stdout


def test_ingest_refuses_bad_file_and_writes_nothing(tmp_path):
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"not a pdf")
    out = tmp_path / "packs"
    proc = _cli("ingest", str(bad), "--out", str(out))
    assert proc.returncode == 2 and "PDF" in proc.stderr
    assert not out.exists() or not any(out.iterdir())


def test_docx_and_pdf_inputs_make_the_same_pack(tmp_path):
    from tests.test_ingest_reader import make_docx, make_pdf

    text = (DATA / "6154-QD-UBND-HN-2011.md").read_text(encoding="utf-8").split("-->", 1)[1]
    paras = [p for p in text.split("\n") if p.strip()]
    docx_text = extract_text(make_docx(paras), "qd.docx")
    r = ingest_text(docx_text)
    assert (
        r.pack["meta"]["number"] == "6154/QĐ-UBND" and r.pack["meta"]["signer"]["name"] == "Nguyễn Huy Tưởng"
    )
    pdf_text = extract_text(make_pdf(paras[:30]), "qd.pdf")
    r2 = ingest_text(pdf_text)
    assert r2.pack["meta"]["number"] == "6154/QĐ-UBND" and r2.pack["meta"]["date"] == "30/12/2011"
    assert any(p["ref"] == "Điều 1, khoản 3" for p in r2.passages)


async def test_chat_adds_a_document_and_answers_at_once(app, chat, tmp_path, monkeypatch):
    from bot.messages import Attachment

    monkeypatch.setenv("INGESTED_PACKS_DIR", str(tmp_path / "packs"))
    data = (DATA / "6154-QD-UBND-HN-2011.md").read_bytes()
    refused = await chat.say("someone", "/themvanban")
    assert "6154" not in refused
    await chat.say("admin", "/themvanban")
    added = await chat.say("admin", attachments=[Attachment("6154.md", data, "text/markdown")])
    assert "Đã nạp văn bản 6154/QĐ-UBND" in added
    listed = await chat.say("admin", "/vanban")
    assert "6154/QĐ-UBND" in listed and "5500/UBND-NC" in listed
    answer = await chat.say("admin", "Ai ký Quyết định 6154/QĐ-UBND?")
    assert "Nguyễn Huy Tưởng" in answer
    bad = await chat.say(
        "admin", "/themvanban", attachments=[Attachment("x.pdf", b"nope", "application/pdf")]
    )
    assert "Không nạp được văn bản" in bad
