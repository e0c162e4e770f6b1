"""Text -> the pack's files (``pack.yaml``, ``passages.yaml``, ``text.md``, ``proposed_obligations.yaml``)
plus a short Vietnamese report of what was recognised and what was not."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from knowledge.ingest import dates
from knowledge.ingest.bodies import Registry
from knowledge.ingest.duties import analyse, heading_bodies, role_of_heading, topics
from knowledge.ingest.header import Header, parse_header
from knowledge.ingest.lines import logical_lines
from knowledge.ingest.refs import find_documents
from knowledge.ingest.structure import Node, Structure, parse_structure
from knowledge.ingest.text import Recaser, capitalize, collapse, fold

__all__ = ["IngestError", "Ingested", "ingest_text", "pack_id_for"]


class IngestError(ValueError):
    """The text is not a document the parser can make a pack of (message in Vietnamese)."""


@dataclass
class Ingested:
    id: str
    pack: dict[str, Any]
    passages: list[dict[str, Any]]
    text: str
    obligations: list[dict[str, Any]] = field(default_factory=list)
    report: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def pack_id_for(meta: dict[str, Any]) -> str:
    """``1026/KH-UBND`` -> ``1026-KH-UBND`` (safe as a folder name)."""
    number = str(meta.get("number") or "")
    slug = re.sub(r"[^0-9A-Za-z]+", "-", fold(number).upper().replace("Đ", "D")).strip("-")
    return slug or "van-ban"


def ingest_text(text: str, registry: Registry | None = None, pack_id: str | None = None) -> Ingested:
    if not text.strip():
        raise IngestError("Văn bản trống, không có gì để nhận dạng.")
    lines = logical_lines(text)
    recaser = Recaser(text)
    header = parse_header(lines)
    structure = parse_structure(lines, header, recaser)
    meta = header.meta(recaser)
    if not meta.get("number") and not structure.nodes:
        raise IngestError(
            "Không nhận dạng được văn bản hành chính: không thấy số, ký hiệu (“Số: …/…”) và không thấy nội dung "
            "có cấu trúc. Hãy kiểm tra tệp gửi lên có đúng là văn bản chỉ đạo."
        )
    registry = registry or Registry([])
    header_passages = _header_passages(header, meta)
    body = [_passage(n, structure) for n in structure.nodes]
    passages = header_passages + body
    _signer(meta, structure, recaser)
    _period(meta, passages)
    documents = find_documents(passages, str(meta.get("number", "")))
    label = str(meta.get("number") or pack_id or "văn bản")
    pid = pack_id or pack_id_for(meta)
    bodies = _bodies(passages, registry)
    pack: dict[str, Any] = {
        "id": pid,
        "document": label,
        "ingested": True,
        "meta": meta,
        "addressees": [_addressee(n, registry) for n in structure.addressees],
        "recipients": [{"text": n.text.rstrip(";,."), "passage": n.id} for n in structure.recipients],
        "documents": [_self_document(meta, label), *documents],
        "grounds": [{"text": collapse(n.text), "passage": n.id} for n in structure.grounds],
        "bodies": bodies,
        "reporting": _reporting(passages),
        "funding": [
            {"passage": p["id"], "ref": p["ref"], "text": p["text"]}
            for p in passages
            if "funding" in p.get("topics", ()) and p.get("kind") in ("body", "table_row")
        ],
        "deadlines": [
            {"passage": p["id"], "ref": p["ref"], "deadlines": p["deadlines"]}
            for p in passages
            if p.get("deadlines") and p.get("kind") in ("body", "table_row")
        ],
        "other_numbers": _other_numbers(text, documents, meta),
    }
    if structure.attachments:
        pack["attachments"] = structure.attachments
    contact = _standing_body(passages)
    if contact:
        pack["contact"] = contact
    problems = header.problems + structure.problems
    if not structure.signatures:
        problems.append("không thấy khối chữ ký (chức vụ và họ tên người ký)")
    result = Ingested(pid, pack, passages, text, _obligations(pack, passages, label), problems=problems)
    result.report = _report(result, structure)
    return result


# -- header ---------------------------------------------------------------------------------------------------
def _header_passages(h: Header, meta: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(pid: str, ref: str, text: str) -> None:
        if text:
            out.append({"id": pid, "ref": ref, "kind": "header", "text": collapse(text)})

    add("header_issuer", "Cơ quan ban hành", " ".join(h.parent_lines + h.issuer_lines))
    add("header_number", "Số, ký hiệu", h.number_line)
    add("header_date", "Địa danh, ngày tháng", h.date_line)
    if h.subject_line:
        add("subject", "Trích yếu (V/v)", h.subject_line)
    elif h.title_lines:
        add("subject", "Tên loại và trích yếu", f"{h.kind_line} {' '.join(h.title_lines)}")
    add("authority", "Thẩm quyền ban hành", h.authority)
    return out


def _signer(meta: dict[str, Any], s: Structure, recaser: Recaser) -> None:
    if not s.signatures:
        return
    block = s.signatures[0]
    name, lines = block[-1], block[:-1]
    title_line = re.sub(r"^(?:TM|T/M|KT|K/T|TL|TUQ|Q)\.?\s+", "", lines[-1]) if lines else ""
    title = recaser.recase(title_line) if title_line else ""
    issuer = str(meta.get("issuer", ""))
    if fold(title) in ("chu tich", "pho chu tich") and issuer:
        title = f"{title} {re.sub(r'^Ủy ban nhân dân', 'UBND', issuer)}"
    signer: dict[str, Any] = {
        "name": name,
        "title": title,
        "signs_as": " / ".join(lines),
        "source": {"passage": next((n.id for n in s.nodes if n.kind == "signature"), "")},
    }
    capacities = [recaser.recase(re.sub(r"^(?:TM|T/M|KT|K/T|TL|TUQ|Q)\.?\s+", "", x)) for x in lines[:-1]]
    if capacities:
        signer["capacity"] = ", ".join(capacities)
    meta["signer"] = signer


def _period(meta: dict[str, Any], passages: list[dict[str, Any]]) -> None:
    head = [str(meta.get("subject", "")), str(meta.get("title", ""))]
    found = dates.period(*head) or dates.until(" ".join(head), meta.get("year"))
    if found is None:
        found = dates.period(*(str(p["text"]) for p in passages[:40]))
    if found:
        meta["period"] = found


def _self_document(meta: dict[str, Any], label: str) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": label,
        "number": meta.get("number", ""),
        "kind": meta.get("kind", ""),
        "date": meta.get("date", ""),
        "issuer": meta.get("issuer", ""),
        "title": meta.get("subject", ""),
        "aliases": sorted({label, str(meta.get("number_short", ""))} - {""}),
        "self": True,
    }
    return {k: v for k, v in d.items() if v not in ("", None)}


# -- passages -------------------------------------------------------------------------------------------------
def _actor(node: Node) -> tuple[list[str], str]:
    """The body the node's section is about, and a role its heading gives ("Cơ quan chủ trì")."""
    role = ""
    cur: Node | None = node.parent
    own = heading_bodies(node.text) if node.children else []
    if own:
        return own, ""
    while cur is not None:
        r = role_of_heading(cur.text.split("\n")[0])
        if r and not role:
            role = r
        bodies = heading_bodies(cur.text.split("\n")[0])
        if bodies:
            return bodies, role
        cur = cur.parent
    return [], role


def _passage(node: Node, s: Structure) -> dict[str, Any]:
    d: dict[str, Any] = node.to_dict()
    if node.kind in ("recipients", "signature", "header"):
        return d
    text = collapse(node.text)
    actor, role = _actor(node)
    first = node.text.split("\n")[0]
    own_role = role_of_heading(first.split(":")[0]) if ":" in first else ""
    info = analyse(node.text, actor if node.kind == "body" else [])
    if (own_role or role) and info["bodies"]:
        r = own_role or role
        if r in ("lead", "both"):
            info["lead"] = info["bodies"]
        elif r == "support":
            info["support"] = info["bodies"]
            info["lead"] = [x for x in info["lead"] if x in actor]
    deadlines = dates.deadlines(text)
    for key in ("bodies", "support", "report_to"):
        if info[key]:
            d[key] = info[key]
    if info["lead"]:  # the contract's ``lead`` is one body; ``leads`` keeps them all
        d["lead"] = info["lead"][0]
        if len(info["lead"]) > 1:
            d["leads"] = info["lead"]
    if actor and node.kind == "body":
        d["actor"] = actor
    if deadlines:
        d["deadlines"] = deadlines
    t = topics(text, info["lead"], deadlines)
    if t:
        d["topics"] = t
    return d


def _addressee(n: Node, registry: Registry) -> dict[str, Any]:
    text = n.text.rstrip(";,.")
    d: dict[str, Any] = {"text": text, "passage": n.id}
    unit = registry.match(text)
    if unit is not None:
        d["unit"] = unit.name  # type: ignore[attr-defined]
        d["category"] = unit.category  # type: ignore[attr-defined]
    return d


def _bodies(passages: list[dict[str, Any]], registry: Registry) -> list[dict[str, Any]]:
    """Every body named, with the passages where it leads, coordinates, is reported to, or is named."""
    index: dict[str, dict[str, Any]] = {}
    for p in passages:
        if p.get("kind") not in ("body", "table_row", "addressee", "ground"):
            continue
        for role in ("leads", "lead", "support", "report_to", "bodies"):
            names = [p[role]] if isinstance(p.get(role), str) else p.get(role, ())
            for name in names:
                role = "lead" if role == "leads" else role
                key = fold(name)
                entry = index.get(key)
                if entry is None:
                    entry = {"name": name}
                    unit = registry.match(name)
                    if unit is not None:
                        entry["unit"] = unit.name  # type: ignore[attr-defined]
                        entry["category"] = unit.category  # type: ignore[attr-defined]
                    index[key] = entry
                field_name = "named" if role == "bodies" else role
                ids = entry.setdefault(field_name, [])
                if p["id"] not in ids:
                    ids.append(p["id"])
    return list(index.values())


def _reporting(passages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in passages:
        if "reporting" in p.get("topics", ()) and p.get("kind") in ("body", "table_row"):
            item = {"passage": p["id"], "ref": p["ref"], "text": p["text"]}
            for key in ("leads", "lead", "report_to", "deadlines"):
                if p.get(key) and not (key == "lead" and "leads" in item):
                    item[key] = p[key]
            out.append(item)
    return out


def _standing_body(passages: list[dict[str, Any]]) -> str:
    """The body named as "thường trực" (the standing office the bot points to)."""
    for p in passages:
        f = fold(str(p["text"]))
        if "thuong truc" not in f or p.get("kind") not in ("body",):
            continue
        m = re.search(r"(?:thuong truc[^.;]{0,80}?la|lam thuong truc|la co quan thuong truc)\s*", f)
        names = p.get("lead") or p.get("bodies") or []
        if m and names:
            return str(names[0])
    return ""


def _other_numbers(text: str, documents: list[dict[str, Any]], meta: dict[str, Any]) -> list[str]:
    """Numbers of the text that are not documents (committee 138, team counts, years), so that a question
    naming them is not declined as asking about an unknown document."""
    known = {str(d.get("number", "")).split("/")[0].split("-")[0] for d in documents}
    known.add(str(meta.get("number_short", "")))
    nums = set(re.findall(r"(?<![\d/.,])(\d{2,6})(?![\d/])", text))
    return sorted(n for n in nums if n not in known)


def _obligations(pack: dict[str, Any], passages: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    """Reporting duties and deadlines proposed as obligations: quoted, never scheduled without an admin."""
    out = []
    for k, r in enumerate(pack["reporting"], 1):
        out.append(
            {
                "id": f"{pack['id']}-bc{k}",
                "title": capitalize(_first_clause(str(r["text"]), "bao cao")),
                "owed_by": r.get("leads") or ([r["lead"]] if r.get("lead") else []),
                "owed_to": r.get("report_to", []),
                "deadlines": r.get("deadlines", []),
                "origin": "trích từ văn bản (đề xuất, chưa đặt nhắc hạn)",
                "source": {"document": label, "ref": r["ref"], "quote": collapse(str(r["text"]))[:400]},
            }
        )
    return out


def _first_clause(text: str, word: str) -> str:
    for clause in re.split(r"[;.]\s*", collapse(text)):
        if word in fold(clause):
            return clause[:200]
    return collapse(text)[:200]


# -- report ---------------------------------------------------------------------------------------------------
def _report(r: Ingested, s: Structure) -> list[str]:
    m = r.pack["meta"]
    lines = []
    head = f"{capitalize(str(m.get('kind', 'văn bản')))} số {m.get('number', '?')}"
    if m.get("date"):
        head += f" ngày {m['date']}"
    if m.get("issuer"):
        head += f" của {m['issuer']}"
    lines.append(f"Đã nhận dạng: {head}.")
    if m.get("subject"):
        lines.append(f"Trích yếu: {m['subject']}")
    signer = m.get("signer")
    if signer:
        lines.append(f"Người ký: {signer.get('title', '')} {signer['name']} ({signer.get('signs_as', '')}).")
    if m.get("period"):
        lines.append(f"Thời kỳ: {m['period']['text']}.")
    body = [p for p in r.passages if p.get("kind") == "body"]
    sections = [p for p in body if re.search(r"(?:^|, )(?:Mục|Phần|Chương|Điều) [\dIVXLCA-H]+$", p["ref"])]
    lines.append(
        f"Cấu trúc: {len(body)} đoạn/mục ({len(sections)} phần, mục, điều), {len(s.grounds)} căn cứ, "
        f"{len(s.addressees)} nơi được gửi (Kính gửi), {len(s.recipients)} nơi nhận"
        + (f", {len(s.attachments)} văn bản kèm theo" if s.attachments else "")
        + "."
    )
    tables = [p for p in r.passages if p.get("kind") == "table_row"]
    if tables:
        lines.append(f"Bảng: {len(tables)} dòng.")
    bodies = r.pack["bodies"]
    matched = [b for b in bodies if b.get("unit")]
    lines.append(f"Cơ quan, đơn vị được nêu: {len(bodies)} (khớp danh mục đơn vị: {len(matched)}).")
    refs = [d for d in r.pack["documents"] if not d.get("self")]
    lines.append(f"Văn bản được viện dẫn: {len(refs)}.")
    lines.append(
        f"Nghĩa vụ báo cáo: {len(r.pack['reporting'])}; đoạn có thời hạn: {len(r.pack['deadlines'])}; "
        f"quy định kinh phí: {len(r.pack['funding']) or 'không thấy (văn bản không nêu)'}."
    )
    if r.obligations:
        lines.append(
            f"Đề xuất {len(r.obligations)} nghĩa vụ báo cáo (trích từ văn bản) để quản trị viên xem xét đặt nhắc hạn."
        )
    if r.problems:
        lines.append("Chưa nhận dạng được: " + "; ".join(r.problems) + ".")
    return lines
