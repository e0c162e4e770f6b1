"""Knowledge pack loader.

A pack is a folder (``knowledge/packs/<id>/``) of data files, no code:

* ``text.md``        the full text of the directive;
* ``pack.yaml``      metadata, addressees, recipients, referenced documents, steering committee,
                     unit categories (how to recognise them; duties and funding as answer templates),
                     reporting obligation;
* ``passages.yaml``  each numbered item and bullet with its reference;
* ``qa.yaml``        question-answer entries, several phrasings each;
* ``units.yaml``     the unit registry (name, category, aliases, standing_office);
* any other YAML (``report_form.yaml``, ``obligations.yaml`` ...) is available through :meth:`Pack.raw`.

Every source quote in the pack is verbatim from ``text.md`` (checked by the tests).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is ~10x faster; fall back to the pure-Python loader when it is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

__all__ = ["DEFAULT_PACK_DIR", "Entry", "Pack", "PackError", "Passage", "Source", "Unit", "load_pack"]

PACKS_DIR = Path(__file__).resolve().parent / "packs"


def _default_pack_dir() -> Path:
    """The built-in pack: the (first) folder of ``knowledge/packs/`` that has a ``pack.yaml``."""
    found = sorted(p.parent for p in PACKS_DIR.glob("*/pack.yaml"))
    return found[0] if found else PACKS_DIR


DEFAULT_PACK_DIR = _default_pack_dir()


def default_pack_dir() -> Path:
    """The folder of the built-in pack (the one default-pack-path helper: forms, obligations, loader)."""
    return DEFAULT_PACK_DIR


class PackError(ValueError):
    """The pack folder is missing or malformed (message in Vietnamese, names the file)."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where an answer comes from: document label, reference inside it, short verbatim quote."""

    document: str
    ref: str
    quote: str

    def to_json(self) -> dict[str, str]:
        return {"document": self.document, "ref": self.ref, "quote": self.quote}


@dataclass(frozen=True, slots=True)
class Unit:
    name: str
    category: str
    aliases: tuple[str, ...] = ()
    standing_office: bool = False


@dataclass(frozen=True, slots=True)
class Passage:
    """A numbered item, bullet or table row; the optional fields come from ``passages.yaml`` when the pack
    has them (an ingested pack does; see the contract in ``knowledge/README.md``)."""

    id: str
    ref: str
    text: str
    kind: str | None = None  # header | ground | addressee | body | table_row | signature | recipients
    section: tuple[str, ...] = ()  # headings above it, outermost first
    bodies: tuple[str, ...] = ()  # bodies named in it
    lead: str | None = None  # the body that leads ("chủ trì")
    deadlines: tuple[str, ...] = ()  # verbatim deadline phrases
    topics: tuple[str, ...] = ()  # duty | reporting | deadline | funding


@dataclass(slots=True)
class Entry:
    """A question-answer entry.

    ``topic`` ("funding", "duties", "reporting") marks entries whose answer depends on the asker's unit: the
    engine renders them from the unit's category; ``answer`` is then the general answer (no unit known).
    """

    id: str
    questions: list[str]
    answer: str
    sources: list[Source]
    topic: str | None = None
    doc: str | None = None
    suggest: str | None = None  # the canonical question shown as a suggestion
    asks: tuple[str, ...] = ()  # answer types it gives (who/when/where/what/yesno); empty = any
    # phrases whose unknown instances this entry answers ("mô hình": a model the letter does not name is
    # answered by the entry saying the letter names none)
    catch: tuple[str, ...] = ()


@dataclass(slots=True)
class Pack:
    folder: Path
    id: str
    document: str
    meta: dict[str, Any]
    units: list[Unit]
    passages: dict[str, Passage]
    entries: list[Entry]
    categories: dict[str, dict[str, Any]]
    documents: list[dict[str, Any]]
    data: dict[str, Any] = field(repr=False)
    text: str = field(default="", repr=False)
    suggestions: list[str] = field(default_factory=list)
    _raw_cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- lookups ---------------------------------------------------------------------------------------------
    def unit(self, name: str) -> Unit | None:
        for u in self.units:
            if u.name == name:
                return u
        return None

    def category_label(self, category: str) -> str:
        return str(self.categories.get(category, {}).get("label", category))

    @property
    def standing_office(self) -> Unit | None:
        return next((u for u in self.units if u.standing_office), None)

    def known_numbers(self) -> dict[str, dict[str, Any]]:
        """Document numbers the pack knows (``"2468" -> document dict``)."""
        return {str(d["id"]): d for d in self.documents}

    def source(self, spec: dict[str, Any]) -> Source:
        return _source(spec, self.passages, self.document)

    def raw(self, name: str) -> Any:
        """The parsed content of another YAML file of the pack (``"report_form.yaml"`` or ``"report_form"``);
        ``None`` when the file does not exist."""
        if not name.endswith((".yaml", ".yml")):
            name = name + ".yaml"
        if "/" in name or "\\" in name or name.startswith("."):
            raise PackError(f"Tên tệp không hợp lệ: {name}")
        if name in self._raw_cache:
            return self._raw_cache[name]
        path = self.folder / name
        value = _read_yaml(path) if path.is_file() else None
        self._raw_cache[name] = value
        return value


# -- loading ------------------------------------------------------------------------------------------------
def _read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise PackError(f"Tệp {path.name} của gói tri thức không đúng cú pháp YAML: {exc}") from exc


def _source(spec: dict[str, Any], passages: dict[str, Passage], document: str) -> Source:
    pid = spec.get("passage")
    if pid is not None:
        passage = passages.get(pid)
        if passage is None:
            raise PackError(f"Nguồn trích dẫn tới đoạn không tồn tại: {pid}")
        quote = _clean(spec.get("quote") or passage.text)
        return Source(spec.get("document", document), spec.get("ref", passage.ref), quote)
    try:
        return Source(spec.get("document", document), spec["ref"], _clean(spec["quote"]))
    except KeyError as exc:
        raise PackError(f"Nguồn trích dẫn thiếu trường {exc}: {spec}") from exc


_WS = re.compile(r"\s+")


def _strs(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(x) for x in value if x)


def _clean(text: str) -> str:
    return _WS.sub(" ", str(text)).strip()


def load_pack(folder: str | os.PathLike[str] | None = None) -> Pack:
    """Load a pack folder (default: ``$KNOWLEDGE_PACK`` -- the bot's setting -- or the embedded 4321/UBND-VX
    pack)."""
    folder = Path(folder or os.environ.get("KNOWLEDGE_PACK") or DEFAULT_PACK_DIR)
    if not (folder / "pack.yaml").is_file():
        raise PackError(f"Không tìm thấy gói tri thức (thiếu pack.yaml) trong {folder}")
    data = _read_yaml(folder / "pack.yaml") or {}
    document = str(data.get("document") or data.get("id") or folder.name)

    passages: dict[str, Passage] = {}
    pdata = _read_yaml(folder / "passages.yaml") if (folder / "passages.yaml").is_file() else {}
    for p in (pdata or {}).get("passages", []):
        passages[str(p["id"])] = Passage(
            str(p["id"]),
            str(p["ref"]),
            _clean(p["text"]),
            kind=str(p["kind"]) if p.get("kind") else None,
            section=_strs(p.get("section")),
            bodies=_strs(p.get("bodies")),
            lead=str(p["lead"]) if p.get("lead") else None,
            deadlines=_strs(p.get("deadlines")),
            topics=_strs(p.get("topics")),
        )

    units: list[Unit] = []
    # the unit registry is the province's, not a directive's: a pack without its own (an ingested one) uses
    # the shipped registry
    registry = folder / "units.yaml"
    if not registry.is_file():
        registry = DEFAULT_PACK_DIR / "units.yaml"
    udata = _read_yaml(registry) if registry.is_file() else {}
    for u in (udata or {}).get("units", []):
        units.append(
            Unit(
                name=str(u["name"]),
                category=str(u["category"]),
                aliases=tuple(str(a) for a in u.get("aliases", ()) or ()),
                standing_office=bool(u.get("standing_office", False)),
            )
        )

    entries: list[Entry] = []
    qdata = _read_yaml(folder / "qa.yaml") if (folder / "qa.yaml").is_file() else {}
    seen: set[str] = set()
    for e in (qdata or {}).get("entries", []):
        eid = str(e["id"])
        if eid in seen:
            raise PackError(f"qa.yaml: mã mục bị trùng: {eid}")
        seen.add(eid)
        questions = [str(q) for q in e.get("questions", [])]
        if not questions:
            raise PackError(f"qa.yaml: mục {eid} không có câu hỏi nào")
        entries.append(
            Entry(
                id=eid,
                questions=questions,
                answer=_clean(e.get("answer", "")),
                sources=[_source(s, passages, document) for s in e.get("sources", [])],
                topic=e.get("topic"),
                doc=str(e["doc"]) if e.get("doc") is not None else None,
                suggest=e.get("suggest") or questions[0],
                asks=tuple(str(x) for x in e.get("asks", ()) or ()),
                catch=tuple(str(x) for x in e.get("catch", ()) or ()),
            )
        )

    text_path = folder / "text.md"
    text = text_path.read_text(encoding="utf-8") if text_path.is_file() else ""
    return Pack(
        folder=folder,
        id=str(data.get("id", folder.name)),
        document=document,
        meta=dict(data.get("meta", {})),
        units=units,
        passages=passages,
        entries=entries,
        categories=dict(data.get("categories", {})),
        documents=list(data.get("documents", [])),
        data=data,
        text=text,
        suggestions=[str(x) for x in (qdata or {}).get("suggestions", [])],
    )
