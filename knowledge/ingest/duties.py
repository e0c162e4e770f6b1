"""What each passage asks of whom: lead (chủ trì / giao / có trách nhiệm / the body a section is about),
coordinate (phối hợp với ...), report to (báo cáo về ...); and the passage's topics."""

from __future__ import annotations

import functools
import re

from knowledge.ingest.bodies import Mention, find_bodies
from knowledge.ingest.text import fold, vocab

_STRIP_HEADING = re.compile(
    r"^(?:đối với|trách nhiệm của|nhiệm vụ của|giao|đề nghị|các|cơ quan|đơn vị)\s+", re.I
)


@functools.cache
def _lead_verbs() -> tuple[str, ...]:
    return tuple(fold(v) for v in vocab()["lead_verbs"])


@functools.cache
def _support_verbs() -> tuple[str, ...]:
    return tuple(fold(v) for v in vocab()["support_verbs"])


def heading_bodies(heading: str) -> list[str]:
    """Bodies a heading is about ("1. Công an tỉnh", "1.2. Ủy ban nhân dân quận, huyện:", "Đối với ...");
    empty when the heading also says something else ("Cơ quan chủ trì, phối hợp")."""
    text = heading.strip().rstrip(":.")
    if not text or len(text) > 300:
        return []
    mentions = find_bodies(text)
    if not mentions:
        return []
    rest = text
    for m in reversed(mentions):
        rest = rest[: m.start] + " " + rest[m.end :]
    rest_f = fold(_STRIP_HEADING.sub("", rest.strip()))
    leftover = [w for w in re.split(r"[\s,;:()]+", rest_f) if w and w not in _FILLER]
    return [m.name for m in mentions] if len(leftover) <= 3 else []


_FILLER = {
    "va",
    "cac",
    "doi",
    "voi",
    "trach",
    "nhiem",
    "cua",
    "co",
    "lien",
    "quan",
    "nganh",
    "ban",
    "so",
    "-",
    "de",
    "nghi",
    "giao",
    "tinh",
    "cap",
    "thanh",
    "pho",
    "truc",
    "thuoc",
    "trung",
    "uong",
    "to",
    "chuc",
    "doan",
    "the",
    "khac",
    "dia",
    "phuong",
    "don",
    "vi",
    "nang",
}


def role_of_heading(heading: str) -> str:
    """ "Cơ quan chủ trì" -> "lead", "Cơ quan phối hợp" -> "support", else ""."""
    f = fold(heading).strip(" :.")
    roles = vocab()["role_headings"]
    for role in ("lead", "support"):
        for phrase in roles[role]:
            if f == phrase or f.startswith(phrase + ":") or f.startswith(phrase + " "):
                if role == "lead" and "phoi hop" in f:
                    return "both"
                return role
    return ""


def analyse(text: str, actor: list[str]) -> dict[str, list[str]]:
    """lead / support / report_to / bodies of one passage's text; ``actor`` is the body its section is about."""
    mentions = find_bodies(text)
    folded = [fold(text[: m.start]) for m in mentions]
    lead: list[str] = []
    support: list[str] = []
    report_to: list[str] = []
    in_support = False
    prev_end = 0
    for m, before in zip(mentions, folded, strict=True):
        gap = fold(text[prev_end : m.start])
        clause = re.split(r"[;.:]", before)[-1]
        tail = clause[-40:]
        after = fold(text[m.end : m.end + 40])
        if in_support and re.fullmatch(r"\s*(?:,|va|-)?\s*(?:cac\s+)?", gap):
            support.append(m.name)
        elif tail.rstrip().endswith(_support_verbs()) or re.search(r"phoi hop(?: voi)?\s*$", tail):
            support.append(m.name)
            in_support = True
        elif re.search(
            r"(?:bao cao|gui|gui ve|bao cao ve|bao cao cho|ve|len)\s*(?:\(\w+\s*)?$", tail
        ) and re.search(r"bao cao|gui", clause):
            report_to.append(m.name)
            in_support = False
        elif re.search(r"(?:^|\s)(?:giao|de nghi|yeu cau)\s*$", tail) or after.lstrip(" ,").startswith(
            _lead_verbs()
        ):
            lead.append(m.name)
            in_support = False
        else:
            in_support = False
        prev_end = m.end
    if not lead and actor:
        lead = list(actor)
    names = _unique([m.name for m in mentions])
    return {
        "bodies": names,
        "lead": _unique(lead),
        "support": _unique(support),
        "report_to": _unique(report_to),
    }


def topics(text: str, lead: list[str], deadlines: list[str]) -> list[str]:
    f = fold(text)
    v = vocab()
    out: list[str] = []
    if lead or any(w in f for w in v["topics"]["duty"]):
        out.append("duty")
    if any(w in f for w in v["topics"]["reporting"]) and not _only_nonreporting(f):
        out.append("reporting")
    if deadlines:
        out.append("deadline")
    if any(w in f for w in v["topics"]["funding"]):
        out.append("funding")
    return out


def _only_nonreporting(f: str) -> bool:
    hits = f.count("bao cao") + f.count("gui ve")
    nots = sum(f.count(x) for x in vocab()["reporting_not"]) + f.count("(de bao cao)")
    return hits <= nots


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for x in items:
        k = fold(x)
        if k not in seen:
            seen.add(k)
            out.append(x)
    return out


__all__ = ["Mention", "analyse", "heading_bodies", "role_of_heading", "topics"]
