"""Several packs at once: ``Library(packs).answer(question, unit=..., context=...) -> Answer``.

Packs come from ``KNOWLEDGE_PACKS=A,B,...`` (each a pack folder, or a folder whose sub-folders are packs;
``KNOWLEDGE_PACK`` is an alias); by default the built-in ``knowledge/packs`` plus ``./data/packs`` when it
exists.  The unit registry is the province's, not a pack's: loaded once (``UNITS_REGISTRY``, default the
shipped province registry) and given to every pack that has none of its own.

Routing: a question naming a document number or symbol goes to the pack of that document (an unknown number
is declined by the engine of the best pack, as before); otherwise every engine answers and the most
confident answer wins, ties broken by the question's words for issuer / province / type / subject; when two
packs answer about equally the answer names its document and says the other one also speaks of it.  With one
pack loaded the library is that pack's engine.  Every answer names its document.  It wraps one
``QAEngine`` per pack and keeps to its interface.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from knowledge.pack import DEFAULT_PACK_DIR, Pack, PackError, Unit, _read_yaml, load_pack

__all__ = ["DEFAULT_DATA_PACKS", "Library", "discover", "load_library", "load_registry", "pack_dirs"]

BUILTIN_PACKS = DEFAULT_PACK_DIR.parent
DEFAULT_DATA_PACKS = Path("data/packs")
DEFAULT_REGISTRY = DEFAULT_PACK_DIR / "units.yaml"
CLOSE = 0.08  # two packs whose confidences differ by less than this both answer the question


def pack_dirs(spec: str | None = None) -> list[Path]:
    """Pack folders named by ``spec`` (comma-separated; default: ``$KNOWLEDGE_PACKS`` / ``$KNOWLEDGE_PACK``,
    else the built-in packs plus ``./data/packs`` when it exists)."""
    if spec is None:
        spec = os.environ.get("KNOWLEDGE_PACKS") or os.environ.get("KNOWLEDGE_PACK") or ""
    entries = [Path(s.strip()) for s in spec.split(",") if s.strip()]
    if not entries:
        entries = [BUILTIN_PACKS] + ([DEFAULT_DATA_PACKS] if DEFAULT_DATA_PACKS.is_dir() else [])
    out: list[Path] = []
    for entry in entries:
        found = discover(entry)
        if not found:
            raise PackError(f"Không tìm thấy gói tri thức nào trong {entry} (cần pack.yaml).")
        for f in found:
            if f.resolve() not in {o.resolve() for o in out}:
                out.append(f)
    return out


def discover(entry: Path) -> list[Path]:
    if (entry / "pack.yaml").is_file():
        return [entry]
    if entry.is_dir():
        return sorted(
            p
            for p in entry.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / "pack.yaml").is_file()
        )
    return []


def load_registry(path: str | os.PathLike[str] | None = None) -> list[Unit]:
    """The province's unit registry (``$UNITS_REGISTRY``, default the shipped province registry)."""
    path = Path(path or os.environ.get("UNITS_REGISTRY") or DEFAULT_REGISTRY)
    if not path.is_file():
        raise PackError(f"UNITS_REGISTRY: không tìm thấy tệp danh mục đơn vị {path}.")
    data = _read_yaml(path) or {}
    return [
        Unit(
            str(u["name"]),
            str(u["category"]),
            tuple(str(a) for a in u.get("aliases", ()) or ()),
            bool(u.get("standing_office", False)),
        )
        for u in data.get("units", [])
    ]


def load_library(spec: str | None = None, registry: str | None = None) -> Library:
    units = load_registry(registry)
    packs = []
    for folder in pack_dirs(spec):
        pack = load_pack(folder)
        pack.data["units_own"] = bool(pack.units)
        if not pack.units:
            pack.units = list(units)
        packs.append(pack)
    return Library(packs, units)


def _norm(text: str) -> str:
    from knowledge.normalize import fold

    return fold(text)


class Library:
    """Answers over all loaded packs (one engine each); thread-safe; packs can be added at run time."""

    def __init__(self, packs: list[Pack], units: list[Unit] | None = None) -> None:
        from knowledge import QAEngine

        self._engine_type = QAEngine
        self.units = list(units or [])
        self._lock = threading.Lock()
        self.engines: list[Any] = [QAEngine(p) for p in packs]
        self._index()

    # -- the loaded packs
    @property
    def packs(self) -> list[Pack]:
        return [e.pack for e in self.engines]

    @property
    def pack(self) -> Pack:
        """The first (built-in) pack: what single-pack callers (report form, reminders) use."""
        return self.engines[0].pack

    def add(self, folder: str | os.PathLike[str]) -> Pack:
        """Load (or reload) one pack folder and serve it at once."""
        pack = load_pack(folder)
        pack.data["units_own"] = bool(pack.units)
        if not pack.units:
            pack.units = list(self.units)
        engine = self._engine_type(pack)
        with self._lock:
            engines = [e for e in self.engines if e.pack.id != pack.id] + [engine]
            self.engines = engines
            self._index()
        return pack

    def _index(self) -> None:
        self._build_signals()
        numbers: dict[str, int] = {}
        for i, e in enumerate(self.engines):
            meta = e.pack.meta
            for key in (meta.get("number"), meta.get("number_short"), e.pack.document):
                if key:
                    numbers.setdefault(_norm(str(key)), i)
        self.numbers = numbers

    # -- answering
    def answer(
        self, question: str, unit: str | None = None, context: dict[str, Any] | None = None, **kw: Any
    ) -> Any:
        """Same interface as ``QAEngine.answer`` (extra keywords such as ``today`` are passed on)."""
        engines = self.engines
        if len(engines) == 1:
            return engines[0].answer(question, unit=unit, context=context, **kw)
        context = dict(context or {})
        chosen = self._route(question, engines)
        if chosen is not None:
            ans = engines[chosen].answer(
                question, unit=unit, context=self._inner(context, engines[chosen]), **kw
            )
            return self._wrap(ans, engines[chosen], None)
        follow = next((e for e in engines if context.get("inner") and e.pack.id == context.get("pack")), None)
        if follow is not None:  # a follow-up stays with the previous answer's document when it answers there
            ans = follow.answer(question, unit=unit, context=context.get("inner"), **kw)
            if ans.answered:
                return self._wrap(ans, follow, None)
        answers = [(e, e.answer(question, unit=unit, context=None, **kw)) for e in engines]
        scored = sorted(
            (
                (a.answered, a.confidence + self._hint(question, e.pack), i, e, a)
                for i, (e, a) in enumerate(answers)
            ),
            key=lambda t: (t[0], t[1], -t[2]),
            reverse=True,
        )
        best_ok, best_score, _, best_e, best = scored[0]
        other = None
        if best_ok and len(scored) > 1 and scored[1][0] and best_score - scored[1][1] < CLOSE:
            other = scored[1][3].pack
        return self._wrap(best, best_e, other)

    def _route(self, question: str, engines: list[Any]) -> int | None:
        """A document number or symbol in the question picks the pack of that document."""
        folded = _norm(question)
        for m in re.finditer(r"(?<![\d/])(\d{2,6})(?![\d/]*\d{1,2}/\d{4})", folded):
            if m.group(1) in self.numbers:
                return self.numbers[m.group(1)]
        return None

    @staticmethod
    def _inner(context: dict[str, Any], engine: Any) -> dict[str, Any] | None:
        return context.get("inner") if context.get("pack") == engine.pack.id else None

    def _hint(self, question: str, pack: Pack) -> float:
        """How much the question's words point at this pack: its type ("công văn", "kế hoạch"), its
        province, a body it names, a unit of the province's registry (for the registry's own documents)."""
        folded = f" {_norm(question)} "
        sig = self._signals.get(pack.id)
        if sig is None:
            return 0.0
        bonus = 0.0
        kinds = [k for k in self._kinds if f" {k} " in folded]
        if kinds:
            bonus += 0.3 if any(k in sig["kinds"] for k in kinds) else -0.2
        places = [p for p in self._places if f" {p} " in folded]
        if places:
            bonus += 0.3 if any(p in sig["places"] for p in places) else -0.3
        if any(f" {b} " in folded for b in sig["bodies"]):
            bonus += 0.1
        if sig["home"] and any(f" {u} " in folded for u in self._registry_names):
            bonus += 0.15
        return bonus

    def _build_signals(self) -> None:
        self._signals: dict[str, dict[str, Any]] = {}
        kinds: set[str] = set()
        places: set[str] = set()
        home_places = {
            _norm(str(e.pack.meta.get("province") or e.pack.meta.get("place") or ""))
            for e in self.engines
            if e.pack.data.get("units_own")
        }
        for e in self.engines:
            m, d = e.pack.meta, e.pack.data
            pk = {_norm(str(m.get("kind") or ""))} | {
                _norm(str(a.get("kind", ""))) for a in d.get("attachments", [])
            }
            pl = {_norm(str(m.get(k) or "")) for k in ("province", "place")} - {""}
            bodies = {
                _norm(str(b.get("name", ""))) for b in d.get("bodies", []) if len(str(b.get("name", ""))) > 6
            }
            bodies |= {_norm(str(a.get("unit") or a.get("text") or "")) for a in d.get("addressees", [])}
            self._signals[e.pack.id] = {
                "kinds": pk - {""},
                "places": pl,
                "bodies": bodies - {""},
                "home": bool(pl & home_places) or bool(d.get("units_own")),
            }
            kinds |= pk
            places |= pl
        self._kinds = sorted(kinds - {""})
        self._places = sorted(places)
        names = set()
        for u in self.units:
            for n in (u.name, *u.aliases):
                f = _norm(n)
                if len(f) >= 5:
                    names.add(f)
        self._registry_names = sorted(names)

    def _wrap(self, ans: Any, engine: Any, other: Pack | None) -> Any:
        pack = engine.pack
        label = pack.document
        text = ans.text
        if ans.answered and label and _norm(label) not in _norm(text):
            kind = str(pack.meta.get("kind") or "văn bản")
            text = f"Theo {kind} {label}: {text}"
        if other is not None and ans.answered:
            text += (
                f"\n(Văn bản {other.document} cũng có nội dung liên quan; "
                "hãy nêu số văn bản nếu bạn hỏi về văn bản đó.)"
            )
        ctx = {"pack": pack.id, "inner": dict(ans.context or {})} if ans.context else {"pack": pack.id}
        try:
            return replace(ans, text=text, context=ctx)
        except TypeError:  # not a dataclass: keep the engine's object
            ans.text = text
            return ans

    # -- listing
    def listing(self) -> list[dict[str, str]]:
        out = []
        for e in self.engines:
            m = e.pack.meta
            out.append(
                {
                    "id": e.pack.id,
                    "document": e.pack.document,
                    "kind": str(m.get("kind", "")),
                    "date": str(m.get("date", "")),
                    "issuer": str(m.get("issuer", "")),
                    "subject": str(m.get("subject", "")),
                    "ingested": "có" if e.pack.data.get("ingested") else "không",
                    "folder": str(e.pack.folder),
                }
            )
        return out
