"""Premise checking: a yes/no question that asserts a fact ("... ký ngày 15/11/2020 đúng không?", "do Phó
Chủ tịch ký phải không?", "báo cáo hằng quý phải không?", "mỗi huyện 500 triệu đúng không?", "của tỉnh Bình
Định phải không?", "áp dụng giai đoạn 2016 - 2020 à?") is checked against the pack: confirmed with the quote
("Đúng. ..."), or corrected ("Không đúng: ..." with the right fact and its quote).  Only facts the pack
contains are stated."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from knowledge.answer import Answer
from knowledge.meta import MetaFacts, long_date
from knowledge.normalize import fold
from knowledge.pack import Source
from knowledge.question import FREQUENCIES, Question, has

__all__ = ["PremiseChecker"]

SIGN_WORDS = (("ky",), ("ky", "ten"), ("nguoi", "ky"))
DATE_WORDS = (("ngay",), ("ban", "hanh"), ("ky",), ("khi", "nao"), ("nam",))
PERIOD_WORDS = (("giai", "doan"), ("ap", "dung"), ("thuc", "hien"), ("trien", "khai"))


def _parse_date(value: str) -> tuple[int, int, int] | None:
    parts = [p for p in str(value).replace("-", "/").split("/") if p.strip()]
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        return None
    d, m, y = (int(p) for p in parts)
    return d, m, y


class PremiseChecker:
    def __init__(self, facts: MetaFacts) -> None:
        self.facts = facts
        self.text = fold(facts.pack.text or " ".join(p.text for p in facts.pack.passages.values()))

    def check(
        self,
        q: Question,
        funding: Callable[[], tuple[str, list[Source]]] | None = None,
        other_doc: dict[str, Any] | None = None,
        text: str = "",
    ) -> Answer | None:
        """The checked answer, or ``None`` when the question asserts nothing the header can settle.
        ``other_doc``: the referenced document the question is about (``documents`` entry of pack.yaml);
        ``text``: the question as written (for a number and symbol claim, "4321/UBND-KT")."""
        if not q.yesno:
            return None
        toks = q.toks
        if q.amounts:
            return self._amount(q, funding)
        if other_doc is not None:
            return self._document(q, other_doc)
        symbol = self._symbol(text)
        if symbol is not None:
            return symbol
        for check in (self._place, self._signs_for, self._signer, self._date, self._period, self._frequency):
            ans = check(q, toks)
            if ans is not None:
                return ans
        return None

    # -- each kind of claim ---------------------------------------------------------------------------------
    def _result(self, ok: bool, fact: str, sources: list[Source], wrong: str = "") -> Answer:
        text = f"Đúng. {fact}" if ok else f"Không đúng: {wrong + ' ' if wrong else ''}{fact}"
        return Answer(
            text=text, answered=True, confidence=0.85, sources=sources, kind="answer", entry_id="premise"
        )

    def _document(self, q: Question, doc: dict[str, Any]) -> Answer | None:
        """A claim about a referenced document: its date or year, or a provision its title names."""
        f = self.facts
        kind = str(doc.get("kind") or "văn bản")
        label = f"{kind[:1].upper()}{kind[1:]} số {doc.get('number')}"
        title = " ".join(str(doc.get("title") or "").split())
        spec = doc.get("source")
        src: list[Source] = []
        if isinstance(spec, dict):
            try:
                src = [f.pack.source(spec)]
            except Exception:  # a dangling source: answer without it
                src = []
        real = _parse_date(str(doc.get("date") or ""))
        if real is not None and (q.dates or q.years):
            fact = f"{label} ban hành ngày {doc['date']}" + (f" ({title})" if title else "") + "."
            for d, m, y in q.dates:
                return self._result(
                    (d in (0, real[0])) and m == real[1] and (y is None or y == real[2]), fact, src
                )
            return self._result(all(y == real[2] for y in q.years), fact, src)
        claims = _provisions(" ".join(q.toks))
        if claims and title:
            said = _provisions(fold(title))
            fact = f"{label}: {title}."
            return self._result(set(claims) <= set(said), fact, src)
        return None

    def _symbol(self, text: str) -> Answer | None:
        """ "Số hiệu là 4321/UBND-KT đúng không?": the number is right, the symbol is not."""
        f = self.facts
        main = f.number
        for m in _SYMBOL.finditer(text):
            number, symbol = m.group(1), m.group(2)
            if number.lstrip("0") != main.split("/")[0].lstrip("0"):
                continue
            ok = fold(f"{number}/{symbol}").replace(" ", "") == fold(main).replace(" ", "")
            fact = f"Số, ký hiệu của văn bản là {main}" + (f", ban hành ngày {f.date}." if f.date else ".")
            return self._result(ok, fact, f.source_for(main.split("/")[0], kinds=("header",)))
        return None

    def _signs_for(self, q: Question, toks: list[str]) -> Answer | None:
        """ "do KT. Chủ tịch ký phải không?": signed for someone else (KT., TM., Q., TL.) or directly."""
        f = self.facts
        claimed = next((k for k, ps in _SIGNS_FOR.items() if any(has(toks, p) for p in ps)), None)
        if claimed is None or not f.signer.get("name"):
            return None
        real = f.signs_for()
        fact = f"{f.label} do {f.signed_by()} ký" + (
            f" ({real}.)."
            if real
            else f" trực tiếp, với chức danh {f.signer.get('signs_as') or ''}.".replace(" .", ".")
        )
        return self._result(claimed == real, fact, f._signer_sources())

    def _place(self, q: Question, toks: list[str]) -> Answer | None:
        f = self.facts
        if not q.places:
            return None
        known = fold(" ".join((f.place, f.issuer, f.number, f.subject)))
        other = [p for p in q.places if fold(p) not in known and fold(p) not in self.text]
        if not other:
            return None
        fact = (
            f"{f.label} là văn bản của {f.issuer or f.place}"
            + (f", ký tại {f.place}" if f.place else "")
            + "."
        )
        wrong = f"văn bản không phải của {other[0]}."
        return self._result(
            False, fact, f.source_for(f.issuer, kinds=("header",)) or f._date_sources(), wrong
        )

    def _signer(self, q: Question, toks: list[str]) -> Answer | None:
        f = self.facts
        if not f.signer.get("name") or not any(has(toks, w) for w in SIGN_WORDS):
            return None
        name, title = str(f.signer["name"]), str(f.signer.get("title") or f.signer.get("signs_as") or "")
        named_ok = fold(name) in fold(" ".join(q.toks)) or any(fold(n) == fold(name) for n in q.names)
        # a capitalised name written in the question that the document does not contain
        wrong_names = [n for n in q.names if fold(n) not in self.text and len(n.split()) >= 2]
        ftitle = fold(title)
        title_first = next((t for t in _titles_in(ftitle)), "")
        wrong_title = [t for t in q.titles if t != title_first and t not in ftitle.split(" uy ban")[0]]
        fact = f"{f.label} do {f.signed_by()} ký" + (f" ngày {f.date}" if f.date else "") + "."
        src = f._signer_sources()
        if wrong_title or (wrong_names and not named_ok):
            claimed = wrong_title[0] if wrong_title else wrong_names[0]
            return self._result(False, fact, src, f"văn bản không do {_display_title(claimed)} ký.")
        if named_ok or q.titles:
            return self._result(True, fact, src)
        return None

    def _date(self, q: Question, toks: list[str]) -> Answer | None:
        f = self.facts
        real = _parse_date(f.date)
        if real is None or not (q.dates or q.years) or not any(has(toks, w) for w in DATE_WORDS):
            return None
        if q.periods and not q.dates:
            return None
        fact = f"{f.label} được ban hành ngày {f.date} ({long_date(f.date)})" + (
            f" tại {f.place}." if f.place else "."
        )
        src = f._date_sources()
        for d, m, y in q.dates:
            ok = (d in (0, real[0])) and m == real[1] and (y is None or y == real[2])
            return self._result(ok, fact, src)
        ok = all(y == real[2] for y in q.years)
        return self._result(ok, fact, src)

    def _period(self, q: Question, toks: list[str]) -> Answer | None:
        f = self.facts
        start, end = f.period.get("start"), f.period.get("end")
        if not q.periods or start is None or end is None:
            return None
        span = str(f.period.get("text") or f"giai đoạn {start} - {end}")
        fact = f"{f.label} áp dụng cho {span}."
        src = f.source_for(span)
        claimed = q.periods[0]
        if claimed == (int(start), int(end)):
            return self._result(True, fact, src)
        said = f"{claimed[0]} - {claimed[1]}"
        where = f.source_for(f"{claimed[0]} {claimed[1]}")
        extra = ""
        if where:
            extra = f" Giai đoạn {said} được văn bản nhắc tới ở {where[0].ref}: «{where[0].quote}»."
            src = src + where
        return self._result(False, fact + extra, src, f"văn bản không áp dụng cho giai đoạn {said}.")

    def _frequency(self, q: Question, toks: list[str]) -> Answer | None:
        if not q.frequencies:
            return None
        stated = [k for k, ps in FREQUENCIES.items() if any(" ".join(p) in self.text for p in ps)]
        claimed = q.frequencies[0]
        if not stated:
            return None
        real = stated[0] if claimed not in stated else claimed
        phrase = next(" ".join(p) for p in FREQUENCIES[real] if " ".join(p) in self.text)
        src = self.facts.source_for(phrase)
        quote = src[0].quote if src else ""
        fact = f"Văn bản quy định định kỳ {_display_freq(real)}" + (f": «{quote}»." if quote else ".")
        if claimed in stated:
            return self._result(True, fact, src)
        return self._result(False, fact, src, f"văn bản không quy định {_display_freq(claimed)}.")

    def _amount(self, q: Question, funding: Callable[[], tuple[str, list[Source]]] | None) -> Answer:
        f = self.facts
        claimed = q.amounts[0]
        present = fold(claimed) in self.text
        pointer, src = funding() if funding is not None else ("", [])
        if present:
            where = f.source_for(claimed)
            return self._result(True, f"Văn bản có nêu {claimed}.", where or src)
        text = f"Không đúng: {f.label} không nêu số tiền đó hay bất kỳ mức kinh phí cụ thể nào." + (
            f" Về kinh phí, văn bản chỉ quy định: {pointer}" if pointer else ""
        )
        return Answer(
            text=text, answered=True, confidence=0.85, sources=src, kind="answer", entry_id="premise"
        )


_SYMBOL = re.compile(r"(?<![\d/])(\d{1,5})\s*/\s*([A-Za-zĐđ][A-Za-zĐđ0-9-]*)")
_SIGNS_FOR = {
    "KT": (("kt",), ("ky", "thay")),
    "TM": (("tm",), ("thay", "mat")),
    "TL": (("tl",), ("thua", "lenh")),
}
_PROVISION = re.compile(r"\b(khoan|muc|dieu|diem|phan|chuong) ([0-9]+|[ivxlc]+|[a-z])\b")


def _provisions(folded: str) -> list[str]:
    """ "khoan 2", "muc v" ... named in folded text."""
    return [f"{m.group(1)} {m.group(2)}" for m in _PROVISION.finditer(folded)]


_TITLE_WORDS = (
    "pho chu tich",
    "chu tich",
    "pho giam doc",
    "giam doc",
    "pho truong ban",
    "truong ban",
    "pho thu tuong",
    "thu tuong",
    "bo truong",
    "thu truong",
)


def _titles_in(folded: str) -> list[str]:
    return [t for t in _TITLE_WORDS if folded.startswith(t)]


_DISPLAY = {
    "pho chu tich": "Phó Chủ tịch",
    "chu tich": "Chủ tịch",
    "pho giam doc": "Phó Giám đốc",
    "giam doc": "Giám đốc",
    "truong ban": "Trưởng ban",
    "pho truong ban": "Phó Trưởng ban",
    "thu tuong": "Thủ tướng",
    "pho thu tuong": "Phó Thủ tướng",
    "bo truong": "Bộ trưởng",
    "thu truong": "Thứ trưởng",
}


def _display_title(t: str) -> str:
    return _DISPLAY.get(t, t)


_FREQ_DISPLAY = {
    "hang nam": "hằng năm",
    "hang quy": "hằng quý",
    "hang thang": "hằng tháng",
    "6 thang": "6 tháng một lần",
    "hang tuan": "hằng tuần",
    "dot xuat": "đột xuất",
}


def _display_freq(k: str) -> str:
    return _FREQ_DISPLAY.get(k, k)
