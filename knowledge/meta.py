"""Answers about the document itself from the pack's header fields (``pack.yaml`` ``meta``: number, date,
place, issuer, signer and title, subject, kind, period; ``addressees``, ``recipients``, ``documents``,
``grounds``, ``contact``).  No phrase list per directive: the slot comes from :mod:`knowledge.question`,
the facts from the pack, the quote from the passage that contains the fact."""

from __future__ import annotations

import contextlib
from typing import Any

from knowledge.answer import Answer
from knowledge.normalize import fold
from knowledge.pack import Pack, Source

__all__ = ["MetaFacts", "long_date"]

QUOTE_MAX = 240


def long_date(date: str) -> str:
    """ "10/11/2020" -> "10 tháng 11 năm 2020" (the form the document itself writes)."""
    parts = [p for p in str(date).replace("-", "/").split("/") if p]
    if len(parts) != 3:
        return str(date)
    d, m, y = (str(int(p)) if p.isdigit() else p for p in parts)
    return f"{d} tháng {m} năm {y}"


class MetaFacts:
    """The header facts of one pack, with the passages that state them."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        meta = pack.meta
        self.meta = meta
        self.number = str(meta.get("number") or pack.document)
        self.kind = str(meta.get("kind") or "văn bản")
        self.date = str(meta.get("date") or "")
        self.place = str(meta.get("place") or "")
        self.issuer = str(meta.get("issuer") or "")
        self.subject = " ".join(str(meta.get("subject") or "").split())
        signer = meta.get("signer") or {}
        self.signer: dict[str, Any] = signer if isinstance(signer, dict) else {}
        period = meta.get("period") or {}
        self.period: dict[str, Any] = period if isinstance(period, dict) else {}
        self.contact = str(pack.data.get("contact") or "")
        self._folded = [(p, fold(p.text)) for p in pack.passages.values()]

    # -- sources --------------------------------------------------------------------------------------------
    def source_for(self, *facts: str, kinds: tuple[str, ...] = ()) -> list[Source]:
        """The first passage (of one of ``kinds`` first) whose text contains every fact (folded)."""
        wanted = [fold(f) for f in facts if f and fold(f)]
        if not wanted:
            return []
        ranked = sorted(
            self._folded,
            key=lambda pf: 0 if getattr(pf[0], "kind", None) in kinds else 1,
        )
        for passage, folded in ranked:
            if all(w in folded for w in wanted):
                return [Source(self.pack.document, passage.ref, _quote(passage.text))]
        return []

    @property
    def label(self) -> str:
        """ "Công văn 4321/UBND-VX" """
        return f"{self.kind[:1].upper()}{self.kind[1:]} {self.number}".strip()

    # -- answers --------------------------------------------------------------------------------------------
    def answer(self, slot: str) -> Answer | None:
        handler = getattr(self, f"_{slot}", None)
        if handler is None:
            return None
        result = handler()
        if result is None:
            return None
        text, sources = result
        return Answer(text=text, answered=True, confidence=0.9, sources=sources, kind="answer", entry_id=slot)

    def signed_by(self) -> str:
        title = str(self.signer.get("title") or "")
        name = str(self.signer.get("name") or "")
        return " ".join(x for x in (title, name) if x)

    def _signer_sources(self) -> list[Source]:
        name = str(self.signer.get("name") or "")
        return self.source_for(name, kinds=("signature",)) if name else []

    def _signer(self) -> tuple[str, list[Source]] | None:
        if not self.signer.get("name"):
            return None
        when = f" ngày {self.date}" if self.date else ""
        signs_as = str(self.signer.get("signs_as") or "")
        how = (
            f" (ký với chức danh {signs_as})"
            if signs_as and fold(signs_as) != fold(self.signer.get("title", ""))
            else ""
        )
        text = f"{self.label} do {self.signed_by()} ký{when}{how}."
        return text, self._signer_sources()

    def _signer_title(self) -> tuple[str, list[Source]] | None:
        if not self.signer.get("name"):
            return None
        title = str(self.signer.get("title") or self.signer.get("signs_as") or "")
        if not title:
            return None
        text = f"Người ký {self.label} là {self.signer['name']}, chức vụ {title}."
        return text, self._signer_sources()

    def _date_sources(self) -> list[Source]:
        day = self.date.split("/")[0].lstrip("0") if self.date else ""
        year = self.date.split("/")[-1] if self.date else ""
        src = self.source_for(f"ngay {day}", year, kinds=("header",)) if self.date else []
        return src or self.source_for(self.date)

    def _date(self) -> tuple[str, list[Source]] | None:
        if not self.date:
            return None
        where = f" tại {self.place}" if self.place else ""
        text = f"{self.label} được ban hành ngày {self.date} ({long_date(self.date)}){where}."
        if self.signer.get("name"):
            text += f" Người ký: {self.signed_by()}."
        return text, self._date_sources()

    def _year(self) -> tuple[str, list[Source]] | None:
        if not self.date:
            return None
        year = self.date.split("/")[-1]
        return f"{self.label} được ban hành năm {year} (ngày {self.date}).", self._date_sources()

    def _place(self) -> tuple[str, list[Source]] | None:
        if not self.place:
            return None
        when = f", ngày {self.date} ({long_date(self.date)})" if self.date else ""
        text = f"{self.label} được ký tại {self.place}{when}."
        return text, self._date_sources()

    def _issuer(self) -> tuple[str, list[Source]] | None:
        if not self.issuer:
            return None
        text = f"{self.label} do {self.issuer} ban hành"
        if self.signer.get("name"):
            text += f"; {self.signed_by()} ký"
        text += "."
        return text, self.source_for(self.issuer, kinds=("header",)) + self._signer_sources()

    def _number(self) -> tuple[str, list[Source]] | None:
        text = f"Số, ký hiệu của văn bản: {self.number}."
        if self.date:
            text = f"{text[:-1]}, ban hành ngày {self.date}."
        return text, self.source_for(self.number.split("/")[0], kinds=("header",))

    def _subject(self) -> tuple[str, list[Source]] | None:
        if not self.subject:
            return None
        text = f"{self.label} về việc: {self.subject}."
        if self.meta.get("field"):
            text += f" Lĩnh vực: {self.meta['field']}."
        return text, self.source_for(self.subject[:60], kinds=("header",))

    def _documents(self) -> tuple[str, list[Source]] | None:
        """The documents it refers to (``documents`` of pack.yaml, other than itself)."""
        main = str(self.meta.get("number_short") or self.number.split("/")[0])
        docs = [d for d in self.pack.documents if str(d.get("id")) != main]
        if not docs:
            return None
        items = []
        sources: list[Source] = []
        for d in docs:
            kind = str(d.get("kind") or "văn bản")
            when = f" ngày {d['date']}" if d.get("date") else ""
            title = " ".join(str(d.get("title") or "").split())
            items.append(f"{kind.capitalize()} số {d.get('number')}{when}" + (f" ({title})" if title else ""))
            spec = d.get("source")
            if isinstance(spec, dict):
                with contextlib.suppress(Exception):  # a pack with a dangling source still answers
                    sources.append(self.pack.source(spec))
            else:
                sources.extend(self.source_for(str(d.get("number") or d.get("id")).split("/")[0]))
        return f"{self.label} dẫn chiếu: " + "; ".join(items) + ".", sources[:3]

    def _signs_as(self) -> tuple[str, list[Source]] | None:
        if not self.signer.get("name"):
            return None
        signs_as = " ".join(str(self.signer.get("signs_as") or self.signer.get("title") or "").split())
        head = signs_as.split(" ")[0].rstrip(".").upper() if signs_as else ""
        how = {
            "KT": "ký thay",
            "TM": "thay mặt",
            "Q": "quyền",
            "TL": "thừa lệnh",
            "TUQ": "thừa ủy quyền",
        }.get(head)
        if how:
            text = f"{self.label} do {self.signed_by()} ký, {how} (chữ ký: {signs_as})."
        else:
            text = (
                f"{self.label} do {self.signed_by()} ký trực tiếp với chức danh "
                f"{signs_as or self.signer.get('title')}"
                " (không ký thay, không thừa lệnh)."
            )
        return text, self._signer_sources()

    def signs_for(self) -> str:
        """ "KT", "TM", "Q", "TL" when the signer signs for someone else, else ""."""
        signs_as = str(self.signer.get("signs_as") or "").strip()
        head = signs_as.split(" ")[0].rstrip(".").upper() if signs_as else ""
        return head if head in ("KT", "TM", "Q", "TL", "TUQ") else ""

    def _kind(self) -> tuple[str, list[Source]] | None:
        text = f"Đây là {self.kind} số {self.number}" + (f" của {self.issuer}" if self.issuer else "") + "."
        return text, self.source_for(self.number.split("/")[0], kinds=("header",))

    def _period(self) -> tuple[str, list[Source]] | None:
        if not self.period:
            return None
        start, end = self.period.get("start"), self.period.get("end")
        span = str(self.period.get("text") or (f"giai đoạn {start} - {end}" if start and end else ""))
        if not span:
            return None
        text = f"{self.label} áp dụng cho {span}" + (
            f" (từ năm {start} đến năm {end})" if start and end else ""
        )
        return text + ".", self.source_for(span)

    def _addressees(self) -> tuple[str, list[Source]] | None:
        lines = [
            str(x.get("text") if isinstance(x, dict) else x) for x in self.pack.data.get("addressees") or []
        ]
        if not lines:
            return None
        items = "; ".join(x.rstrip(";.") for x in lines)
        return f"{self.label} kính gửi: {items}.", self.source_for(lines[0].rstrip(";."))

    def _recipients(self) -> tuple[str, list[Source]] | None:
        lines = [
            str(x.get("text") if isinstance(x, dict) else x) for x in self.pack.data.get("recipients") or []
        ]
        if not lines:
            return None
        items = "; ".join(x.rstrip(";.") for x in lines)
        return f"Nơi nhận của {self.label}: {items}.", self.source_for(lines[-1].rstrip(";."))

    def _grounds(self) -> tuple[str, list[Source]] | None:
        grounds = [
            str(g.get("text") if isinstance(g, dict) else g) for g in self.pack.data.get("grounds") or []
        ]
        if grounds:
            items = "; ".join(" ".join(g.split()).rstrip(";.") for g in grounds[:6])
            return f"{self.label} căn cứ: {items}.", self.source_for(grounds[0][:60])
        return None

    def _standing_office(self) -> tuple[str, list[Source]] | None:
        if not self.contact:
            return None
        return f"Cơ quan thường trực, đầu mối theo {self.label}: {self.contact}.", self.source_for(
            self.contact.split("(")[0]
        )

    def _contact(self) -> tuple[str, list[Source]] | None:
        if not self.contact:
            return None
        return f"Khi cần hướng dẫn, đề nghị liên hệ {self.contact}.", self.source_for(
            self.contact.split("(")[0]
        )


def _quote(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1].rsplit(" ", 1)[0] + " …"
