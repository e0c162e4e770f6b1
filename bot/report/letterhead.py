"""Who issues the compiled report, under which parent body, where, and the pack's report definition.

The pack's ``compiled_report.yaml`` gives the defaults (the standing office); the ``REPORT_*``
environment variables (``Settings.report``) override the letterhead.  A pack without that file (an
ingested directive) gets values derived from its ``pack.yaml``: the standing office unit, the place of
the directive, a subject built from the document label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Letterhead:
    parent: str  # cơ quan chủ quản ("" = no upper line)
    issuer: str  # cơ quan ban hành
    symbol: str  # "BC-CAT" in "Số: …/BC-CAT"
    place: str
    signer_title: str
    signer_name: str  # "" = left for the signer
    addressee: str
    copies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Basis:
    """The directive's words that ask for the compiled report, with where they stand."""

    document: str  # "5500/UBND-NC"
    kind: str  # "công văn"
    date: str  # "10/11/2020"
    issuer: str
    subject: str
    ref: str  # "Mục 2"
    quote: str


@dataclass(frozen=True, slots=True)
class Definition:
    letterhead: Letterhead
    title: str
    subject: str  # with {year}
    fields: dict[str, str]  # role -> report form key
    basis: Basis | None
    obligation: str  # id of the per-unit obligation whose due date applies ("" = the pack's per-unit one)


ROLES = ("models", "model_names", "funding", "results", "difficulties", "proposals")


def _clean(text: Any) -> str:
    return _WS.sub(" ", str(text or "")).strip()


def _derived_fields(form: Any) -> dict[str, str]:
    """Without a definition: the form's first integer, money and text fields by position."""
    ints = [f.key for f in form.fields if f.type == "integer"]
    money = [f.key for f in form.fields if f.type == "money"]
    texts = [f.key for f in form.fields if f.type == "text"]
    out: dict[str, str] = {}
    if ints:
        out["models"] = ints[0]
    if money:
        out["funding"] = money[0]
    for role, key in zip(("model_names", "results", "difficulties", "proposals"), texts, strict=False):
        out[role] = key
    return out


def _basis(pack: Any, spec: Any) -> Basis | None:
    meta = getattr(pack, "meta", {}) or {}
    if not isinstance(spec, dict) or "passage" not in spec:
        return None
    passage = pack.passages.get(spec["passage"])
    if passage is None:
        return None
    quote = _clean(spec.get("quote") or passage.text)
    if quote not in _clean(passage.text):  # only the directive's own words
        quote = _clean(passage.text)
    return Basis(
        document=str(pack.document),
        kind=_clean(meta.get("kind")),
        date=_clean(meta.get("date")),
        issuer=_clean(meta.get("issuer")),
        subject=_clean(meta.get("subject")),
        ref=_clean(spec.get("ref") or passage.ref),
        quote=quote,
    )


def _letterhead(pack: Any, spec: dict[str, Any], overrides: dict[str, str]) -> Letterhead:
    meta = getattr(pack, "meta", {}) or {}
    office = getattr(pack, "standing_office", None)
    defaults = {
        "parent": "",
        "issuer": getattr(office, "name", "") or _clean(meta.get("issuer")),
        "symbol": "BC",
        "place": _clean(meta.get("place")),
        "signer_title": "",
        "signer_name": "",
        "addressee": _clean(meta.get("issuer")),
    }
    values = {k: _clean(spec.get(k, v)) for k, v in defaults.items()}
    values.update({k: _clean(v) for k, v in overrides.items() if k in values})
    copies = tuple(_clean(c) for c in spec.get("copies", ["Như trên", "Lưu: VT"]) if _clean(c))
    return Letterhead(copies=copies, **values)


def load_definition(app: Any) -> Definition:
    pack = app.pack
    raw = pack.raw("compiled_report.yaml") if hasattr(pack, "raw") else None
    raw = raw if isinstance(raw, dict) else {}
    overrides = dict(getattr(app.settings, "report", ()) or ())
    letter = _letterhead(pack, raw.get("letterhead") or {}, overrides)
    fields = {k: str(v) for k, v in (raw.get("fields") or {}).items() if k in ROLES}
    if not fields:
        fields = _derived_fields(app.form)
    known = {f.key for f in app.form.fields}
    fields = {k: v for k, v in fields.items() if v in known}
    subject = _clean(raw.get("subject")) or f"Kết quả thực hiện {pack.document} năm {{year}}"
    return Definition(
        letterhead=letter,
        title=_clean(raw.get("title")) or "Báo cáo",
        subject=subject,
        fields=fields,
        basis=_basis(pack, raw.get("basis")),
        obligation=_clean(raw.get("obligation")),
    )
