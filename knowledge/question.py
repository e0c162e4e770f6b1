"""What a question asks: its type, the slot asked for, and the facts it asserts (entities).

``read(text, toks) -> Question`` is pure and cheap (phrase look-ups on the folded, abbreviation-expanded
tokens that :class:`knowledge.analyze.Analyzer` already made).  The phrase lists are data
(``knowledge/data/questions.yaml``).  Entities:

* amounts -- a number followed by "triệu", "tỷ", "đồng" ... ("500 triệu" is money, never document 500);
* dates (dd/mm/yyyy, "ngày d tháng m năm y") and years; periods ("2016 - 2020");
* frequencies ("hằng quý", "6 tháng một lần"), canonical forms;
* titles ("Phó Chủ tịch") and capitalised person names written in the question;
* places: "tỉnh X" / "thành phố X" as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.lexicon import load_data
from knowledge.normalize import fold, tokens

__all__ = ["Question", "read"]

_D = load_data("questions.yaml")


def _phrases(items: object) -> list[tuple[str, ...]]:
    out = {tuple(tokens(str(x))) for x in (items or [])}  # type: ignore[attr-defined]
    return sorted((p for p in out if p), key=len, reverse=True)


META_SLOTS: dict[str, list[tuple[str, ...]]] = {k: _phrases(v) for k, v in _D["meta_slots"].items()}
TOPIC_SLOTS: dict[str, list[tuple[str, ...]]] = {k: _phrases(v) for k, v in _D["topic_slots"].items()}
TOPIC_WORDS: dict[str, list[tuple[str, ...]]] = {k: _phrases(v) for k, v in _D["topic_words"].items()}
YESNO_TAILS = _phrases(_D["yesno_tails"])
YESNO_HEADS = _phrases(_D["yesno_heads"])
COMPARE = _phrases(_D["compare"])
SECOND_CONTACT = _phrases(_D["second_contact"])
PERIOD_STATUS = _phrases(_D["period_status"])
FREQUENCIES: dict[str, list[tuple[str, ...]]] = {k: _phrases(v) for k, v in _D["frequencies"].items()}
AMOUNT_UNITS = frozenset(fold(str(x)).split()[0] for x in _D["amount_units"])
TITLES = _phrases(_D["titles"])
REFERENCES: dict[str, list[tuple[str, ...]]] = {k: _phrases(v) for k, v in _D["references"].items()}
# as typed (folded only, no abbreviation expansion): follow-up resolution rewrites the written question
REFERENCES_WRITTEN: dict[str, list[tuple[str, ...]]] = {
    k: sorted({tuple(fold(str(x)).split()) for x in v}, key=len, reverse=True)
    for k, v in _D["references"].items()
}
DOCUMENT_KINDS = _phrases(_D["document_kinds"])
PRESENT_MARKERS = _phrases(_D["present_markers"])
STILL_MARKERS = frozenset(str(x) for x in _D["still_markers"])

_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*((?:19|20)\d\d)(?!\d)")
_DATE_WORDS = re.compile(r"ngay (\d{1,2}) thang (\d{1,2})(?: nam ((?:19|20)\d\d))?")
_MONTH_YEAR = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*((?:19|20)\d\d)(?!\d)")
_YEAR = re.compile(r"(?<![\d/])((?:19|20)\d\d)(?![\d/])")
_PERIOD = re.compile(r"((?:19|20)\d\d)\s*(?:-|–|đến|tới|den|toi)\s*((?:19|20)\d\d)", re.IGNORECASE)
_AMOUNT = re.compile(r"(\d[\d.,]*)\s*(trieu|ty|nghin|ngan|dong|vnd)\b")
# "tỉnh Nghệ An", "thành phố Hà Nội", "TP. Hồ Chí Minh": a place as written (capitalised words).
_PLACE = re.compile(
    r"(?:tỉnh|thành phố|TP\.?|Tỉnh|Thành phố)\s+((?:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ][\wÀ-ỹ]*\s?){1,4})", re.UNICODE
)
_NAME = re.compile(r"(?:[A-ZĐ][a-zà-ỹđ]+\s){1,3}[A-ZĐ][a-zà-ỹđ]+", re.UNICODE)


@dataclass(slots=True)
class Question:
    toks: list[str]
    meta_slot: str | None = None
    topics: list[str] = field(default_factory=list)
    yesno: bool = False
    compare: bool = False
    contact_too: bool = False  # a second part: "... nếu chưa rõ thì hỏi ai?"
    period_status: bool = False
    amounts: list[str] = field(default_factory=list)  # "500 triệu"
    dates: list[tuple[int, int, int | None]] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    periods: list[tuple[int, int]] = field(default_factory=list)
    frequencies: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)  # folded
    names: list[str] = field(default_factory=list)  # as written
    places: list[str] = field(default_factory=list)  # as written
    references: dict[str, bool] = field(default_factory=dict)  # person / document / unit pronouns

    @property
    def asserts(self) -> bool:
        """A yes/no question with something checkable in it."""
        return self.yesno and bool(
            self.amounts
            or self.dates
            or self.years
            or self.periods
            or self.frequencies
            or self.titles
            or self.names
            or self.places
        )


def has(toks: list[str] | Found, phrase: tuple[str, ...]) -> bool:
    if isinstance(toks, Found):
        return phrase in toks.hits
    n = len(phrase)
    return any(tuple(toks[i : i + n]) == phrase for i in range(len(toks) - n + 1))


class PhraseIndex:
    """Every phrase of the data files by its first word: one pass over a question finds all of them."""

    def __init__(self, groups: list[list[tuple[str, ...]]]) -> None:
        self.by_first: dict[str, set[tuple[str, ...]]] = {}
        for phrases in groups:
            for p in phrases:
                self.by_first.setdefault(p[0], set()).add(p)

    def find(self, toks: list[str]) -> Found:
        hits: set[tuple[str, ...]] = set()
        for i, t in enumerate(toks):
            for p in self.by_first.get(t, ()):
                if tuple(toks[i : i + len(p)]) == p:
                    hits.add(p)
        return Found(toks, frozenset(hits))


@dataclass(frozen=True, slots=True)
class Found:
    toks: list[str]
    hits: frozenset[tuple[str, ...]]


def first(toks: list[str] | Found, groups: dict[str, list[tuple[str, ...]]]) -> str | None:
    for key, phrases in groups.items():
        if any(has(toks, p) for p in phrases):
            return key
    return None


def _yesno(toks: list[str], found: Found) -> bool:
    if not toks:
        return False
    for p in YESNO_TAILS:
        if len(p) <= len(toks) and tuple(toks[-len(p) :]) == p:
            # "... có ... không": a bare trailing "không" needs a "có" / "đã" / "phải" before it, or a
            # checkable claim; "a", "chu", "nhi" need a claim (decided by the caller through ``asserts``)
            return True
    return any(tuple(toks[: len(p)]) == p for p in YESNO_HEADS) or any(
        has(toks, p) for p in (("dung", "khong"), ("phai", "khong"), ("dung", "chua"))
    )


_INDEX: PhraseIndex | None = None


def _index() -> PhraseIndex:
    global _INDEX
    if _INDEX is None:
        groups = [*META_SLOTS.values(), *TOPIC_SLOTS.values(), *FREQUENCIES.values(), *REFERENCES.values()]
        groups += [YESNO_HEADS, COMPARE, SECOND_CONTACT, PERIOD_STATUS, TITLES, PRESENT_MARKERS]
        _INDEX = PhraseIndex(groups)
    return _INDEX


def read(text: str, words: list[str]) -> Question:
    q = Question(toks=words)
    toks = _index().find(words)
    q.meta_slot = first(toks, META_SLOTS)
    q.topics = [k for k, ps in TOPIC_SLOTS.items() if any(has(toks, p) for p in ps)]
    q.yesno = _yesno(words, toks)
    q.compare = any(has(toks, p) for p in COMPARE)
    q.contact_too = any(has(toks, p) for p in SECOND_CONTACT)
    q.period_status = any(has(toks, p) for p in PERIOD_STATUS) or (
        q.yesno and any(has(toks, p) for p in PRESENT_MARKERS) and bool(STILL_MARKERS & set(words))
    )
    # the longest phrase decides ("6 tháng một lần" is not "tháng một lần")
    found = [
        (max(len(p) for p in ps if has(toks, p)), k)
        for k, ps in FREQUENCIES.items()
        if any(has(toks, p) for p in ps)
    ]
    q.frequencies = [k for _, k in sorted(found, reverse=True)]
    q.titles = [" ".join(p) for p in TITLES if has(toks, p)]
    # "phó chủ tịch" contains "chủ tịch": keep the longest only
    q.titles = [t for t in q.titles if not any(t != u and f" {t}" in f" {u}" for u in q.titles)]
    q.references = {k: True for k, ps in REFERENCES.items() if any(has(toks, p) for p in ps)}
    written_folded = fold(text)
    for m in _AMOUNT.finditer(written_folded):
        q.amounts.append(f"{m.group(1)} {m.group(2)}")
    raw = text
    for m in _DATE.finditer(raw):
        q.dates.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in _DATE_WORDS.finditer(written_folded):
        q.dates.append((int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None))
    for m in _PERIOD.finditer(text):
        q.periods.append((int(m.group(1)), int(m.group(2))))
    in_dates = {d[2] for d in q.dates if d[2]} | {y for p in q.periods for y in p}
    for m in _YEAR.finditer(re.sub(r"\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}", " ", raw)):
        y = int(m.group(1))
        if y not in in_dates:
            q.years.append(y)
    for m in _MONTH_YEAR.finditer(re.sub(r"\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}", " ", raw)):
        q.dates.append((0, int(m.group(1)), int(m.group(2))))
    q.places = [" ".join(m.group(1).split()) for m in _PLACE.finditer(text)]
    q.names = [m.group(0) for m in _NAME.finditer(text) if len(m.group(0).split()) >= 2]
    return q


def mentions_topic(text_toks: list[str], topic: str) -> bool:
    """The passage words mark this topic (for packs whose passages carry no ``topics``)."""
    return any(has(text_toks, p) for p in TOPIC_WORDS.get(topic, ()))


def split_contact(question: str) -> tuple[str, bool]:
    """ "Sở Y tế dùng kinh phí nào? Nếu chưa rõ thì hỏi ai?" -> ("Sở Y tế dùng kinh phí nào?", True): a second
    part asking whom to contact is answered apart (the pack's contact), the first part on its own."""
    words = question.split()
    folded = [fold(w) for w in words]
    for i in range(1, len(words)):
        if folded[i] not in ("neu", "hoi", "lien", "con", "va", "thi") and not words[i - 1].endswith(
            ("?", ",", ";")
        ):
            continue
        rest = [w for w in folded[i:] if w]
        if any(has(rest, p) for p in SECOND_CONTACT) and len(rest) <= 9:
            head = " ".join(words[:i]).rstrip(",;")
            if len(head.split()) >= 2:
                return head, True
    return question, False


_PROVISION = re.compile(r"\b(khoan|muc|dieu|diem|phan|chuong) ([0-9]+|[ivxlc]+)\b")


def provisions(folded: str) -> list[str]:
    """ "khoan 1", "muc v", "dieu 1" named in folded text."""
    return [f"{m.group(1)} {m.group(2)}" for m in _PROVISION.finditer(folded)]


_ORG = re.compile(
    r"\b(Bộ|Sở|Ban|Ủy ban|Uỷ ban|UBND|Hội|Đài|Báo|Văn phòng|Thanh tra|Kho bạc|Cục|Tổng cục|Chính phủ"
    r"|Thủ tướng)"
    r"((?:\s+[\wÀ-ỹĐđ&-]+){1,4})",
    re.UNICODE,
)
_ORG_STOP = frozenset(
    [
        "phai",
        "dung",
        "la",
        "co",
        "da",
        "gui",
        "ve",
        "cho",
        "va",
        "thi",
        "khong",
        "chua",
        "nhe",
        "a",
        "ha",
        "nhi",
        "hay",
        "cung",
        "duoc",
        "bao",
        "tong",
        "hop",
        "ky",
        "ban",
        "hanh",
    ]
)


def bodies_named(text: str) -> list[str]:
    """Names of bodies written in a question ("Bộ Công an", "Sở Tài chính"), cut before the verb."""
    out: list[str] = []
    for m in _ORG.finditer(text):
        words = [m.group(1)]
        for w in m.group(2).split():
            if fold(w) in _ORG_STOP:
                break
            words.append(w)
        if len(words) >= 2:
            out.append(" ".join(words))
    return out


_CUES = frozenset(("ai", "gi", "nao", "dau", "sao", "khong", "chua", "may", "nhieu"))
_SPLIT = re.compile(r"(?<=[?;,])\s+|\s+(?=(?:và|va)\s)", re.IGNORECASE)


def split_parts(question: str) -> list[str]:
    """ "Sở ngành phải làm gì, và kết quả báo cáo cho ai?" -> two questions; one part when the clauses are
    not both questions ("Sở Y tế, Sở Tài chính làm gì?")."""
    pieces = [p for p in _SPLIT.split(question.strip()) if p.strip()]
    if len(pieces) < 2:
        return [question]
    parts: list[str] = []
    for piece in pieces:
        words = fold(piece).split()
        is_question = bool(_CUES & set(words)) and len(words) >= 3
        if parts and is_question and _CUES & set(fold(parts[-1]).split()):
            parts.append(piece)
        elif parts:
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    cleaned: list[str] = []
    for p in parts:
        words = p.split()
        if cleaned and words and fold(words[0]) in ("va", "con", "roi", "thi"):
            words = words[1:]
        cleaned.append(" ".join(words).rstrip(",;"))
    return cleaned if len(cleaned) > 1 else [question]
