"""Answers from the passages' structure, for any pack (an ingested one has no hand-written entries).

* duties of a body: the passages that name it (``bodies`` / ``lead`` when the pack has them, else its name
  in the text), ranked by BM25 against the question;
* funding / reporting / deadlines: the passages of that topic (``topics``, else the topic's words in the
  text); when the document has none, a stated silence ("Văn bản không nêu ...") -- still an answer;
* anything else: the best BM25 passage, when it matches the question well enough.

The answer quotes the passage (or its best sentences) verbatim with its reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.answer import Answer
from knowledge.lexicon import GENERAL
from knowledge.meta import MetaFacts, _quote
from knowledge.normalize import fold, tokens
from knowledge.pack import Pack, Passage, Source
from knowledge.question import Question, has, mentions_topic
from knowledge.retrieve import BM25

__all__ = ["PassageAnswerer"]

MAX_EXCERPT = 700
MIN_SCORE = 0.22  # normalised BM25 of the best passage for a general question
AMOUNT_MIN = 0.35  # normalised BM25 of a passage stating a sum, for an amount question
_MONEY = re.compile(r"\d[\d.,]*\s*(?:tỷ|triệu|nghìn|ngàn|đồng|%|phần trăm)", re.IGNORECASE)
BODY_MIN = 0.6  # share of a body name's distinctive words a passage must contain
SILENT = {
    "funding": "không nêu (không quy định) nguồn kinh phí hay mức kinh phí thực hiện",
    "reporting": "không nêu (không quy định) chế độ báo cáo hay thời hạn báo cáo",
    "deadline": "không nêu thời hạn cụ thể",
}
_SENT = re.compile(r"(?<=[.;:!?])\s+")
# Words of a body's name that do not tell bodies apart.
_BODY_GENERIC = frozenset(
    [
        "uy",
        "ban",
        "nhan",
        "dan",
        "so",
        "ban",
        "tinh",
        "thanh",
        "pho",
        "cac",
        "cua",
        "va",
        "cap",
        "huyen",
        "quan",
        "thi",
        "xa",
        "co",
        "quan",
        "don",
        "vi",
    ]
)


@dataclass(slots=True)
class _P:
    passage: Passage
    toks: list[str]
    folded: str
    topics: frozenset[str]
    header: bool
    order: int = 0
    parent: int | None = None  # the nearest heading above it ("1. Sở Xây dựng", "Bước 4: ...")
    heading: bool = False
    ground: bool = False  # "Căn cứ ..." (a basis, not a provision of this document)


class PassageAnswerer:
    def __init__(self, pack: Pack, facts: MetaFacts) -> None:
        self.pack = pack
        self.facts = facts
        self.items: list[_P] = []
        last_heading: int | None = None
        last_section = ""
        plist = list(pack.passages.values())
        for n, p in enumerate(plist):
            kind = getattr(p, "kind", None)
            section = " ".join(getattr(p, "section", ()) or ())
            if section != last_section:
                last_heading, last_section = None, section  # a new section: the heading above is closed
            heading = _heading(p.text) and _opens(p.text, plist[n + 1].text if n + 1 < len(plist) else "")
            parent = last_heading if not heading else None
            context = f"{section} {self.items[parent].passage.text if parent is not None else ''}"
            toks = tokens(f"{context} {p.text}")
            text_toks = tokens(p.text)
            tagged = set(getattr(p, "topics", ()) or ())
            for t in ("funding", "reporting", "deadline"):
                if mentions_topic(text_toks, t) or (section and mentions_topic(tokens(section), t)):
                    tagged.add(t)
            header = kind in ("header", "signature", "recipients", "addressee") or _copy_line(p.text)
            item = _P(p, toks, fold(p.text), frozenset(tagged), header, n, parent, heading)
            item.ground = kind == "ground" or item.folded.startswith(("can cu ", "xet de nghi"))
            self.items.append(item)
            if heading and not header:
                last_heading = n
            elif _major(p.text):
                last_heading = None
        # items under a heading ("3. Kinh phí thực hiện:" then "Mục 3, gạch đầu dòng 1") share its topics
        headings = {i.passage.ref: i.topics for i in self.items if i.heading}
        for i in self.items:
            head = i.passage.ref.split(",")[0].strip()
            if head != i.passage.ref and head in headings:
                i.topics = i.topics | headings[head]
            if i.parent is not None:
                i.topics = i.topics | self.items[i.parent].topics
        self.children: dict[int, list[int]] = {}
        for i in self.items:
            if i.parent is not None:
                self.children.setdefault(i.parent, []).append(i.order)
        self.bm25 = BM25([i.toks for i in self.items], stop=GENERAL)
        self.folded_text = " ".join(i.folded for i in self.items)
        self._want: str | None = None

    # -- public -----------------------------------------------------------------------------------------
    def answer(
        self, q: Question, query: list[str], bodies: list[str], foreign: int, content: int
    ) -> Answer | None:
        """``query``: retrieval tokens (units removed); ``bodies``: names of the bodies the question is
        about (named, or the asker's own when they say "chúng tôi")."""
        self._want = _wants(q.toks)
        topic = next((t for t in ("funding", "reporting", "deadline") if t in q.topics), None)
        if topic is not None and not bodies:
            return self._topic(topic, q, query)
        if bodies:
            ans = self._body(bodies[0], topic, query)
            if ans is not None:
                return ans
            if topic is not None:
                return self._topic(topic, q, query)
        return self.general(query, foreign, content)

    def silence(self, topic: str) -> Answer:
        f = self.facts
        text = f"{f.label} {SILENT.get(topic, 'không nêu nội dung này')}."
        if f.contact:
            text += f" Đề nghị liên hệ {f.contact} để được hướng dẫn."
        return Answer(text=text, answered=True, confidence=0.7, kind="answer", entry_id=f"silent:{topic}")

    def amounts(self, query: list[str]) -> Answer | None:
        """The passage stating a sum or a share that the question asks for, when the document has any."""
        idx = [n for n, i in enumerate(self.items) if not i.header and _MONEY.search(i.passage.text)]
        if not idx:
            return None
        ranked = [(p, sc) for p, sc in self._rank(query, idx, limit=2) if sc > 0]
        if not ranked or ranked[0][1] < AMOUNT_MIN:
            return None
        return self._render([ranked[0][0]], query, ranked[0][1])

    def topic_passages(self, topic: str) -> list[_P]:
        return [i for i in self.items if topic in i.topics and not i.header and not i.ground]

    # -- parts ------------------------------------------------------------------------------------------
    def _rank(
        self, query: list[str], among: list[int] | None = None, limit: int = 3
    ) -> list[tuple[_P, float]]:
        ranked = self.bm25.search(query, limit=len(self.items))
        allowed = set(among) if among is not None else None
        out = [(self.items[i], s * self._prefer(i)) for i, s in ranked if allowed is None or i in allowed]
        out.sort(key=lambda x: -x[1])
        if allowed is not None and len(out) < limit:
            seen = {id(p) for p, _ in out}
            out.extend((self.items[i], 0.0) for i in among or [] if id(self.items[i]) not in seen)
        # a bare title (a heading with nothing under it) only when nothing else matches
        out.sort(key=lambda x: 1 if x[0].heading and not self.children.get(x[0].order) else 0)
        return out[:limit]

    def _prefer(self, i: int) -> float:
        """Passages holding the kind of fact asked ("khi nào" -> a date, "bao nhiêu" -> a number)."""
        want = self._want
        if not want:
            return 1.0
        text = self.items[i].passage.text + " ".join(
            self.items[c].passage.text for c in self.children.get(i, [])[:3]
        )
        if want == "when":
            return 1.5 if _DATEISH.search(text) else 0.8
        if want == "number":
            return 1.3 if re.search(r"\d", text) else 0.85
        return 1.0

    def _topic(self, topic: str, q: Question, query: list[str]) -> Answer:
        idx = [n for n, i in enumerate(self.items) if topic in i.topics and not i.header and not i.ground]
        if not idx:
            return self.silence(topic)
        ranked = self._rank(query, idx, limit=2)
        best = ranked[0][1] if ranked else 0.0
        chosen = [p for p, s in ranked if s >= best * 0.6][:2] or [ranked[0][0]]
        return self._render(chosen, query, 0.6 + 0.3 * best)

    def _body(self, body: str, topic: str | None, query: list[str]) -> Answer | None:
        idx = self._naming(body)
        if topic is not None:
            idx = [n for n in idx if topic in self.items[n].topics] or []
            if not idx:
                return None
        if not idx:
            return None
        # a heading that is the body's own ("4. Sở Nội vụ", "2.3. Sở Tài chính:"): its items are the duties
        own = [
            n for n in idx if self.items[n].heading and self.children.get(n) and _is_name(self.items[n], body)
        ]
        if own and topic is None:
            return self._render([self.items[own[0]]], query, 0.8)
        leading = [n for n in idx if self._leads(self.items[n], body)]
        ranked = self._rank(query, leading or idx, limit=3)
        best = ranked[0][1] if ranked else 0.0
        chosen = [p for p, s in ranked if s >= best * 0.5][:3]
        # the passages that lead with the body first ("Sở Tài chính: ...", "Giao Sở Y tế chủ trì ...")
        chosen.sort(key=lambda p: 0 if self._leads(p, body) else 1)
        return self._render(chosen, query, 0.75)

    def general(self, query: list[str], foreign: int, content: int) -> Answer | None:
        ranked = [(p, s) for p, s in self._rank(query, None, limit=4) if not p.header]
        if not ranked:
            return None
        p, score = ranked[0]
        penalty = 1.0 if not foreign else (0.6 if foreign == 1 and content > 3 else 0.4)
        confidence = score * penalty
        if confidence < MIN_SCORE:
            return None
        return self._render([p], query, confidence)

    def _naming(self, body: str) -> list[int]:
        """Passages naming the body, else those naming its kind in the plural ("các sở" for Sở Y tế, "các
        huyện" for UBND huyện Ba Tơ): what the document asks of every body of that kind."""
        named = self._named(body)
        if named:
            return named
        head = _head(body)
        if not head:
            return []
        plural = [("cac", *head), (*head, "nganh")]
        if head in (("huyen",), ("thanh", "pho"), ("thi", "xa"), ("quan",)):
            plural.append(("cac", "dia", "phuong"))
        return [
            n
            for n, item in enumerate(self.items)
            if not item.header and any(has(item.toks, p) for p in plural)
        ]

    def _named(self, body: str) -> list[int]:
        words = [w for w in tokens(body) if w not in _BODY_GENERIC and not w.isdigit()] or tokens(body)
        full = " ".join(tokens(body))
        out: list[int] = []
        for n, item in enumerate(self.items):
            if item.header:
                continue
            named = getattr(item.passage, "bodies", ()) or ()
            if any(fold(b) == fold(body) for b in named):
                out.append(n)
                continue
            joined = " ".join(item.toks)
            if f" {full} " in f" {joined} ":
                out.append(n)
                continue
            present = sum(1 for w in words if has(item.toks, (w,)))
            if words and present / len(words) >= BODY_MIN and len(words) >= 2:
                out.append(n)
        return out

    def _leads(self, item: _P, body: str) -> bool:
        lead = getattr(item.passage, "lead", None)
        if lead:
            return fold(str(lead)) == fold(body)
        parent = self.items[item.parent].folded if item.parent is not None else ""
        return fold(body) in item.folded[:80] or fold(body) in parent

    def _render(self, chosen: list[_P], query: list[str], confidence: float) -> Answer:
        qset = {t for t in query if t not in GENERAL}
        parts: list[str] = []
        sources: list[Source] = []
        seen: set[int] = set()
        for item in chosen:
            if item.order in seen:
                continue
            seen.add(item.order)
            text = item.passage.text
            if item.heading and self.children.get(item.order):
                # a heading ("4. Sở Nội vụ", "Bước 4: ...") is answered by what stands under it
                kids = [self.items[c] for c in self.children[item.order]]
                seen.update(k.order for k in kids)
                body = " ".join(k.passage.text for k in kids)
                text = f"{text} {body}"
            excerpt = _excerpt(text, qset)
            where = item.passage.ref
            if item.parent is not None and not item.heading:
                where = f"{where} ({_quote(self.items[item.parent].passage.text)})"
            parts.append(f"Theo {where}: «{excerpt}»")
            sources.append(Source(self.pack.document, item.passage.ref, _quote(excerpt)))
        text = f"{self.facts.label}. " + " ".join(parts)
        return Answer(
            text=text,
            answered=True,
            confidence=max(0.0, min(1.0, confidence)),
            sources=sources,
            kind="answer",
            entry_id=f"passage:{chosen[0].passage.id}",
        )


_LEVELS = (("thanh", "pho"), ("thi", "xa"), ("huyen",), ("quan",), ("tinh",), ("xa",), ("phuong",))


def _head(body: str) -> tuple[str, ...]:
    """The kind of body: "Sở Y tế" -> ("so",), "UBND huyện Ba Tơ" -> ("huyen",), "Hội Nông dân" ->
    ("hoi",)."""
    toks = tokens(body)
    if toks[:4] == ["uy", "ban", "nhan", "dan"]:
        rest = toks[4:]
        for level in _LEVELS:
            if tuple(rest[: len(level)]) == level:
                return level
        return ()
    return tuple(toks[:1])


_NUMBERED = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)*\.?|[IVXLC]+\.|[a-zđ]\)|Bước \d+:?|Điều \d+\.?)\s*")
_DATEISH = re.compile(
    r"\d{1,2}/\d{1,2}/\d{4}|\d{1,2}/\d{4}|ngày \d|tháng \d|quý [IV1-4]|năm \d{4}|trước ngày|hằng năm|hàng năm"
)


def _heading(text: str) -> bool:
    """A heading: short, no sentence in it ("3. Kinh phí thực hiện:", "4. Sở Nội vụ", "2.4. Bước 4: Lập
    Đề án ..."), or all capitals ("III. TỔ CHỨC THỰC HIỆN")."""
    t = text.strip()
    if t.endswith(":") and len(t) < 300:
        return True  # "Điều 1. Thực hiện chế độ ... như sau:" opens its items
    if len(t) > 110:
        return False
    if t.isupper() and len(t) > 3:
        return True
    return bool(_NUMBERED.match(t)) and not t.rstrip(".").count(".") > 3 and len(t) < 90 and "," not in t[:-1]


def _is_name(item: _P, body: str) -> bool:
    """The heading is (nearly) just the body's name: "4. Sở Nội vụ", "2.3. Sở Tài chính:"."""
    rest = _NUMBERED.sub("", item.passage.text.strip()).rstrip(":. ")
    b, r = set(tokens(body)), tokens(rest)
    return bool(r) and len(r) <= len(b) + 3 and sum(w in b for w in r) >= 0.7 * len(r)


_ITEM = re.compile(r"^(?:[-+•*–]|[a-zđ]\)|\d+(?:\.\d+)*\.?)\s*")


def _depth(text: str) -> int:
    m = re.match(r"^(\d+(?:\.\d+)*)\.?\s", text.strip())
    return m.group(1).count(".") + 1 if m else 0


def _opens(text: str, nxt: str) -> bool:
    """A heading opens what follows: the next passage is a bullet, a lettered point, a deeper number
    ("2.4" then "2.4.1" or "- ..."), or plain text under a title; not the next item of the same level."""
    nxt = nxt.strip()
    if not nxt:
        return False
    if text.strip().endswith(":") or text.strip().isupper():
        return True
    if nxt[:1] in "-+•*–" or re.match(r"^[a-zđ]\)", nxt):
        return True
    d, dn = _depth(text), _depth(nxt)
    if dn:
        return dn > d
    return not _ITEM.match(nxt) and not re.match(r"^(?:Điều|Chương|Mục|Phần) ", nxt)


def _major(text: str) -> bool:
    """A top-level heading (Roman numeral, all capitals): it ends the scope of the heading above."""
    t = text.strip()
    return t.isupper() or bool(re.match(r"^[IVXLC]+\.", t))


_COPY = re.compile(r"\(để (?:báo cáo|biết|thực hiện|t/h|b/c)\)|^-?\s*Lưu:? VT|^-?\s*Như (?:trên|Điều)")


def _copy_line(text: str) -> bool:
    """A line of the "Nơi nhận" list ("- Bộ LĐTB&XH; (để báo cáo)", "- Lưu: VT."): never a provision."""
    return bool(_COPY.search(text.strip())) and len(text) < 120


def _wants(toks: list[str]) -> str | None:
    joined = f" {' '.join(toks)} "
    if any(
        f" {w} " in joined
        for w in ("khi nao", "han", "thoi han", "thoi gian", "tu ngay", "den ngay", "nam nao")
    ):
        return "when"
    if " bao nhieu " in joined or " may " in joined:
        return "number"
    return None


def _excerpt(text: str, qset: set[str]) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_EXCERPT:
        return text
    sents = _SENT.split(text)
    scores = [len(qset & set(tokens(s))) for s in sents]
    best = max(range(len(sents)), key=lambda i: scores[i])
    lo = hi = best
    size = len(sents[best])
    while size < MAX_EXCERPT:
        grown = False
        if hi + 1 < len(sents) and size + len(sents[hi + 1]) <= MAX_EXCERPT:
            hi += 1
            size += len(sents[hi])
            grown = True
        if lo > 0 and size + len(sents[lo - 1]) <= MAX_EXCERPT:
            lo -= 1
            size += len(sents[lo])
            grown = True
        if not grown:
            break
    out = " ".join(sents[lo : hi + 1])
    if len(out) > MAX_EXCERPT:
        out = out[: MAX_EXCERPT - 1].rsplit(" ", 1)[0] + " …"
    return ("… " if lo > 0 else "") + out + (" …" if hi < len(sents) - 1 and not out.endswith("…") else "")
