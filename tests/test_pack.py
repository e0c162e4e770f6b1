"""The knowledge pack: structure, faithfulness of every quote, raw() access, loading errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from knowledge import DEFAULT_PACK_DIR, PackError, load_pack
from knowledge.pack import Pack


def _plain(text: str) -> str:
    """text.md without markdown markup (bold, italics, bullets), whitespace collapsed."""
    text = text.replace("**", "").replace("*", "")
    text = re.sub(r"(?m)^\s*-\s+", "", text)
    return " ".join(text.split())


def _all_sources(pack: Pack):  # type: ignore[no-untyped-def]
    for e in pack.entries:
        yield from e.sources
    for spec in pack.categories.values():
        for topic in ("duties", "funding"):
            for s in spec.get(topic, {}).get("sources", []):
                yield pack.source(s)
    for key in ("standing_office_duties", "reporting"):
        for s in pack.data.get(key, {}).get("sources", []):
            yield pack.source(s)
    for d in pack.documents:
        if d.get("source"):
            yield pack.source(d["source"])
    yield pack.source(pack.data["steering_committee"]["source"])


def test_text_is_the_shared_source() -> None:
    shared = Path("/work/shared/source/5500-UBND-NC.md")
    if not shared.exists():
        pytest.skip("no shared source on this machine")
    assert (DEFAULT_PACK_DIR / "text.md").read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


def test_metadata(pack: Pack) -> None:
    m = pack.meta
    assert m["number"] == "5500/UBND-NC"
    assert m["date"] == "10/11/2020"
    assert m["place"] == "Quảng Ngãi"
    assert m["signer"]["name"] == "Đặng Văn Minh"
    assert m["period"]["start"] == 2021 and m["period"]["end"] == 2025
    assert "nhân rộng" in m["subject"]


def test_addressees_and_recipients(pack: Pack) -> None:
    addressees = [a["text"] for a in pack.data["addressees"]]
    assert len(addressees) == 8
    assert "Công an tỉnh" in addressees and "Báo Quảng Ngãi" in addressees
    assert len(pack.data["recipients"]) == 5
    plain = _plain(pack.text)
    for a in pack.data["addressees"]:
        assert a["text"] in plain
        assert a["category"] in pack.categories


def test_referenced_documents(pack: Pack) -> None:
    docs = pack.known_numbers()
    assert set(docs) == {"5500", "1395", "1790"}
    assert docs["1395"]["date"] == "03/8/2016"
    assert docs["1790"]["date"] == "22/11/2019"
    assert "khoản 2, Mục V" in docs["1790"]["title"]
    sc = pack.data["steering_committee"]
    assert sc["standing_office"] == "Công an tỉnh" and sc["head"] == "Chủ tịch UBND tỉnh"


def test_every_passage_and_quote_is_verbatim(pack: Pack) -> None:
    plain = _plain(pack.text)
    for p in pack.passages.values():
        assert p.text in plain, p.id
    count = 0
    for s in _all_sources(pack):
        assert s.quote in plain, (s.ref, s.quote)
        assert s.document == "5500/UBND-NC"
        assert s.ref
        count += 1
    assert count > 30


def test_each_numbered_item_and_bullet_is_a_passage(pack: Pack) -> None:
    refs = {p.ref for p in pack.passages.values()}
    for ref in ("Mục 1", "Mục 2", "Mục 3", "Mục 3, gạch đầu dòng 1", "Mục 3, gạch đầu dòng 2", "Câu kết"):
        assert ref in refs
    assert sum(r.startswith("Kính gửi") for r in refs) == 8
    assert sum(r.startswith("Nơi nhận") for r in refs) == 5


def test_categories_cover_every_unit(pack: Pack) -> None:
    for unit in pack.units:
        spec = pack.categories[unit.category]
        assert spec["duties"]["text"] and spec["funding"]["text"]
    assert pack.standing_office is not None and pack.standing_office.name == "Công an tỉnh"


def test_funding_rules(pack: Pack) -> None:
    cats = pack.categories
    assert "Khoản 1, Mục V" in cats["district"]["funding"]["text"]
    assert "Điều 1, Quyết định số 1790/QĐ-UBND ngày 22/11/2019" in cats["department"]["funding"]["text"]
    for cat in ("socio_political", "armed_forces", "media"):
        text = cats[cat]["funding"]["text"]
        assert "không nêu quy định kinh phí riêng" in text
        assert "1790" in text and "Công an tỉnh" in text


def test_qa_entries_have_several_phrasings_and_sources(pack: Pack) -> None:
    assert len(pack.entries) >= 15
    for e in pack.entries:
        assert len(e.questions) >= 4, e.id
        assert e.sources, e.id
        assert e.answer, e.id


def test_raw_returns_other_yaml_or_none(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK_DIR, folder)
    (folder / "extra.yaml").write_text("a: 1\nb: [x, y]\n", encoding="utf-8")
    pack = load_pack(folder)
    assert pack.raw("extra.yaml") == {"a": 1, "b": ["x", "y"]}
    assert pack.raw("extra") == {"a": 1, "b": ["x", "y"]}
    assert pack.raw("does_not_exist.yaml") is None
    with pytest.raises(PackError):
        pack.raw("../pack.yaml")


def test_missing_folder_and_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(PackError, match=r"pack\.yaml"):
        load_pack(tmp_path / "nothing")
    folder = tmp_path / "broken"
    shutil.copytree(DEFAULT_PACK_DIR, folder)
    (folder / "qa.yaml").write_text("entries: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(PackError, match=r"qa\.yaml"):
        load_pack(folder)


def test_unknown_passage_reference_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(DEFAULT_PACK_DIR, folder)
    (folder / "qa.yaml").write_text(
        "entries:\n  - id: x\n    questions: [a]\n    answer: b\n    sources: [{passage: nope}]\n",
        encoding="utf-8",
    )
    with pytest.raises(PackError, match="nope"):
        load_pack(folder)


def test_env_selects_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "other"
    shutil.copytree(DEFAULT_PACK_DIR, folder)
    monkeypatch.setenv("KNOWLEDGE_PACK", str(folder))
    assert load_pack().folder == folder
