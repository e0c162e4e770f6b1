"""Question answering over a knowledge pack.

``QAEngine(pack).answer(question, unit=None, context=None) -> Answer``

Pipeline (all in-process, no I/O after construction):

1. greetings / thanks / help get a short friendly reply (``kind`` "greeting" / "thanks" / "help",
   ``answered=False``: they are not knowledge answers, and the question log must not count them as facts);
2. analysis (:mod:`knowledge.analyze`): normalized tokens, units and categories, document numbers,
   self-reference ("chúng tôi"), follow-up markers ("còn ... thì sao?"), foreign words;
3. a document number the pack does not know (1234, 6000, 999 ...) -> decline, naming the number;
   a question about money amounts -> decline (the directive states none) while pointing to the provision;
4. retrieval over the entries' phrasings (TF-IDF cosine, :mod:`knowledge.index`), adjusted for document
   numbers; follow-ups reuse the previous topic with the newly named unit;
5. confidence = retrieval score x coverage (share of the question's words the pack knows); below
   ``threshold`` the engine declines with up to 3 suggested questions;
6. entries with a ``topic`` (funding, duties, reporting) are rendered for the unit: the one named in the
   question, else the asker's own unit, else the category named, else the general answer.

Every answer carries its sources (document, reference, verbatim quote).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from typing import Any

from knowledge import lexicon
from knowledge.analyze import Analysis, Analyzer, ref_head
from knowledge.answer import Answer, dumps
from knowledge.botuse import BotHelp
from knowledge.followup import resolve
from knowledge.index import Index
from knowledge.meta import MetaFacts
from knowledge.normalize import fold, nfc, tokens
from knowledge.pack import Entry, Pack, Source, Unit
from knowledge.passages import PassageAnswerer
from knowledge.premise import PremiseChecker
from knowledge.question import (
    AMOUNT_UNITS,
    META_SLOTS,
    TOPIC_SLOTS,
    Question,
    bodies_named,
    provisions,
    read,
    split_contact,
    split_parts,
)
from knowledge.temporal import period_answer

__all__ = ["Answer", "QAEngine", "dumps"]

# Words of a question about money ("tiền", "triệu", "mức chi", "phân bổ"): not foreign to a document that
# speaks of funding.
MONEY_VOCAB = (
    frozenset(
        w
        for p in (*lexicon.MONEY_WORDS, *lexicon.AMOUNT_PHRASES, *lexicon.AMOUNT_QUANTIFIERS)
        for w in p.split()
    )
    - {"luong", "gia", "thue", "phi"}
    | AMOUNT_UNITS
    | {"cap", "phan", "bo", "tong", "moi", "muc", "chi", "tro", "xa", "phuong", "dinh", "tri", "thon", "ho"}
)
# Header slots that name a role: a yes/no question naming a unit in that role is checked against it.
HEADER_SLOTS = frozenset(
    ("date", "year", "place", "number", "kind", "subject", "signer", "signer_title", "signs_as")
)
ROLE_SLOTS = frozenset(("standing_office", "issuer", "signer", "addressees", "recipients", "contact"))
TOPIC_WORDS = frozenset(w for ps in TOPIC_SLOTS.values() for p in ps for w in p) | {"nguon", "lay"}
SLOT_WORDS = {k: frozenset(w for p in v for w in p) for k, v in META_SLOTS.items()}

MAX_QUESTION = 2000  # characters considered; longer input is cut (the channels refuse far shorter ones)
TOPICS_BY_CATEGORY = ("funding", "duties", "reporting", "addressees")
# Topics where the asker's own unit is assumed even when the question does not say "chúng tôi".
PERSONAL_TOPICS = ("funding", "duties", "reporting")
FOLLOW_TOPIC_MIN = 0.25  # retrieval score enough for a topic change inside a follow-up ("còn báo cáo?")
MISSING_FLOOR = 0.5  # score factor when none of the question's known content words is in the entry
ASKS_MATCH = 1.1  # an entry giving the kind of answer asked (who / when / where)
SELF_TOPIC = 1.1  # a per-unit topic entry when the asker speaks of their own unit
CATCH_CONFIDENCE = 0.5  # confidence of an entry reached through its ``catch`` phrase


class QAEngine:
    """Answers questions about one pack.  Thread-safe after construction (no mutable state per call)."""

    threshold = 0.40

    def __init__(self, pack: Pack, clock: Callable[[], dt.date] | None = None) -> None:
        """``clock``: today's date (tests inject one; the bot passes ``today`` per question)."""
        self.pack = pack
        self.analyzer = Analyzer(pack)
        self.entries: list[Entry] = list(pack.entries)
        self.by_id = {e.id: e for e in self.entries}
        docs: list[tuple[int, list[str]]] = []
        for i, e in enumerate(self.entries):
            for q in e.questions:
                docs.append((i, self.analyzer.analyze(q).features))
        self.index = Index(docs, boost=lexicon.QUESTION_BOOST)
        self.clock = clock or dt.date.today
        self.facts = MetaFacts(pack)
        self.subject_toks = tokens(str(pack.meta.get("subject") or ""))
        self.signer_toks = tokens(str((pack.meta.get("signer") or {}).get("name") or ""))
        self.premises = PremiseChecker(self.facts)
        self.passages = PassageAnswerer(pack, self.facts)
        self.bot_help = BotHelp()
        self.main = str(pack.meta.get("number_short") or str(pack.meta.get("number", "")).split("/")[0])
        self.doc_names = {
            str(d.get("id")): f"{str(d.get('kind') or 'văn bản').capitalize()} số {d.get('number')}"
            for d in pack.documents
            if d.get("id")
        }
        self.doc_names.setdefault(self.main, self.facts.label)
        # how each document may be pointed at: its kind, and "kế hoạch" for a decision issuing a plan
        self.doc_kinds = {
            str(d.get("id")): {fold(str(d.get("kind") or "van ban"))}
            | ({"ke hoach"} if fold(str(d.get("title") or "")).startswith("ban hanh ke hoach") else set())
            for d in pack.documents
            if d.get("id")
        }
        # What each entry can speak about: the words of its phrasings and of its answer.  A question word
        # the pack knows but the chosen entry never mentions ("kinh phí" for the entry on the letter's
        # basis) means the entry answers another question (see _content_fit).
        self.cover: list[frozenset[str]] = []
        for i, e in enumerate(self.entries):
            words = {x for x in self.index.bags.get(i, ()) if "_" not in x}
            words.update(tokens(e.answer))
            self.cover.append(frozenset(words))
        self.entry_index = {e.id: i for i, e in enumerate(self.entries)}
        self.catches = [(e, [" ".join(tokens(c)) for c in e.catch]) for e in self.entries if e.catch]
        # Words that identify the letter itself (its subject line, issuer, place): a question quoting them
        # ("công văn về việc tiếp tục nhân rộng mô hình ... ký ngày nào?") names the document, not a topic.
        meta = pack.meta
        self.identifying = frozenset(
            t for key in ("subject", "issuer", "place") for t in tokens(str(meta.get(key, "")))
        )
        self.topic_entry = {e.topic: e for e in self.entries if e.topic}
        self.doc_entries = {e.doc: e for e in self.entries if e.topic == "document" and e.doc}
        meta = pack.meta
        self.number = str(meta.get("number", pack.document))
        self.default_suggestions = list(
            pack.suggestions or [e.suggest for e in self.entries[:3] if e.suggest]
        )[:3]
        self.contact = str(pack.data.get("contact", ""))
        signer = meta.get("signer") or {}
        offices = pack.data.get("known_offices") or ([signer["title"]] if signer.get("title") else [])
        self.known_offices = sorted({tuple(tokens(str(o))) for o in offices}, key=len, reverse=True)

    # -- public -----------------------------------------------------------------------------------------
    def answer(
        self,
        question: str,
        unit: str | None = None,
        context: dict[str, Any] | None = None,
        today: dt.date | None = None,
    ) -> Answer:
        """``today``: the date the question is asked (the bot's clock); default the system date."""
        question = nfc(str(question or ""))[:MAX_QUESTION].strip()
        context = context if isinstance(context, dict) else {}
        asker = self._resolve_unit(unit)
        folded = fold(question)
        if not folded:
            help_answer = self._help()
            help_answer.context = dict(context)
            return help_answer
        social = self._social(folded)
        if social is not None:
            social.context = dict(context)  # small talk does not break a follow-up chain
            return social
        question = resolve(question, context, self.doc_names, self.doc_kinds)
        parts = split_parts(question)
        if len(parts) > 1:
            whole = self.analyzer.analyze(question)
            about = bool(whole.units or whole.categories or whole.docs)
            helped = self.bot_help.match(whole.toks, about, self.analyzer.vocab)
            return helped if helped is not None else self._parts(parts, unit, context, today)
        first, asks_contact = split_contact(question)
        a = self.analyzer.analyze(first)
        # "ngoài Công an tỉnh thì ai ...?": the unit after "ngoài" is excluded, not asked about
        a.units = [u for u in a.units if f"ngoai {fold(u.name)}" not in fold(first)]
        q = read(first, a.toks)
        q.contact_too = q.contact_too or asks_contact
        answer = self._pipeline(a, q, asker, unit, context, today or self.clock())
        if answer.answered:
            answer.context = self._context_of(answer, a, q)
        elif not answer.context:
            answer.context = dict(context)
        return answer

    def _parts(
        self, parts: list[str], unit: str | None, context: dict[str, Any], today: dt.date | None
    ) -> Answer:
        """A question in several parts: each answered, the answers joined (answered when any part is)."""
        answers = [self.answer(p, unit=unit, context=context, today=today) for p in parts]
        good = [x for x in answers if x.answered] or answers[:1]
        sources: list[Source] = []
        for x in good:
            sources.extend(s for s in x.sources if s not in sources)
        return Answer(
            text=" ".join(x.text for x in good),
            answered=any(x.answered for x in answers),
            confidence=min(x.confidence for x in good),
            sources=sources,
            suggestions=good[0].suggestions,
            context=good[-1].context,
            kind=good[0].kind,
            entry_id=good[0].entry_id,
        )

    def _pipeline(
        self,
        a: Analysis,
        q: Question,
        asker: Unit | None,
        unit: str | None,
        context: dict[str, Any],
        today: dt.date,
    ) -> Answer:
        names_doc = bool(a.docs)
        helped = self.bot_help.match(a.toks, bool(a.units or a.categories or names_doc), self.analyzer.vocab)
        if helped is not None:
            return helped
        if a.unknown_docs and not a.known_docs:
            return self._unknown_document(a)
        doc = next((d for d in self.pack.documents if str(d.get("id")) in a.known_docs - {self.main}), None)
        if doc is None and a.known_docs - {self.main}:
            # a document the text cites but the pack does not describe: not this document's header facts
            doc = {"id": sorted(a.known_docs - {self.main})[0]}
        end = self.facts.period.get("end")
        after = bool(end) and any(y > int(str(end)[-4:]) for y in q.years) and q.yesno
        if (q.period_status or after) and doc is None:
            # "Sang 2026 có phải báo cáo nữa không?": a year after the period
            later = [y for y in q.years if y > today.year]
            return period_answer(self.facts, today, later[0] if later else None)
        premise = self.premises.check(q, lambda: self._funding_pointer(a, asker), other_doc=doc, text=a.text)
        if premise is not None:
            return premise
        declined = self._not_stated_first(a, q)
        if declined is not None:
            return declined
        if a.amount or (
            context.get("amount") and a.follow_up and (a.units or a.categories) and not a.foreign
        ):
            # "còn Sở Y tế thì sao?" after an amount question asks the same about Sở Y tế
            stated = self.passages.amounts(a.features)
            if stated is not None:
                return stated  # the document does state sums ("tổng nhu cầu vốn ... 43.346 tỷ đồng")
            strange = [w for w in a.foreign if w not in MONEY_VOCAB]
            return self._decline(a, [], 0.0) if strange else self._amount(a, asker)
        return self._verdict(self._route(a, q, asker, unit, context, doc), a, q)

    def _not_stated_first(self, a: Analysis, q: Question) -> Answer | None:
        """Questions the document cannot answer, said before retrieval (who holds an office now, personal
        details, commune level).  Commune-level funding or reporting gets the silence and the general rule."""
        if a.personal:
            return self._not_stated(a, "personal")
        if self._asks_office_holder(a):
            return self._not_stated(a, "holder")
        if a.lower_level and not a.units:
            if "funding" in q.topics:
                pointer, sources = self._funding_pointer(a, None)
                if pointer:
                    text = (
                        f"Văn bản {self.number} không nêu quy định kinh phí riêng cho cấp xã, phường, "
                        "thị trấn. "
                        f"Về kinh phí, văn bản chỉ nêu: {pointer}"
                    )
                    return Answer(text=text, answered=True, confidence=0.6, sources=sources, kind="answer")
            return self._not_stated(a, "lower_level")
        return None

    def _route(
        self,
        a: Analysis,
        q: Question,
        asker: Unit | None,
        unit: str | None,
        context: dict[str, Any],
        doc: dict[str, Any] | None,
    ) -> Answer:
        """Header facts, then the unit's duties, then the entries, then the passages."""
        # a unit named in a header question is usually the issuer described ("QĐ 6154 của UBND thành phố Hà
        # Nội ban hành ngày nào?"); only role questions are about the unit itself
        bare = (
            not (a.units or a.categories)
            or (q.yesno and q.meta_slot in ROLE_SLOTS)
            or (q.meta_slot in HEADER_SLOTS and a.known_docs == {self.main})
        )
        if q.meta_slot is None and a.known_docs == {self.main} and not q.topics and not self._own_words(a):
            # "Công văn 1040 của Bộ ... ngày nào?", "QĐ 2853 ai ký?": the document itself
            q.meta_slot = "date" if "when" in a.asks else ("signer" if "who" in a.asks else None)
        if self.signer_toks and _contains(a.toks, self.signer_toks) and q.meta_slot in (None, "signer"):
            # "<người ký> giữ chức gì / thuộc cơ quan nào?" (often "ông ấy" resolved): the signer's title
            # or body
            q.meta_slot = "issuer" if {"co", "quan"} <= set(a.toks) or "thuoc" in a.toks else "signer_title"
        if q.meta_slot and doc is None and bare and not q.topics:
            meta = self.facts.answer(q.meta_slot)
            role_claim = q.yesno and q.meta_slot in ROLE_SLOTS and bool(a.units or bodies_named(a.text))
            if meta is not None and (role_claim or self._fits(meta, a, q.meta_slot)):
                # "Thường trực BCĐ là Bộ CHQS tỉnh phải không?": the role's holder, then the verdict
                return self._with_contact(meta, q)
        if q.compare and len(a.known_docs) >= 2:
            both = self._documents_side_by_side(a)
            if both is not None:
                return both
        topic = self.topic_entry.get(q.topics[0]) if len(q.topics) == 1 else None
        if (
            topic is not None
            and topic.topic in ("duties", "funding")
            and (a.units or a.categories)
            and (not a.foreign and not q.yesno)
        ):
            # "Công an tỉnh làm gì?", "kinh phí của Công an tỉnh thì sao?": that unit's duties / funding /
            # reporting, whatever the previous topic was
            return self._with_contact(self._render(topic, a, asker, 0.8, [], context), q)
        claimed = self.topic_entry.get(q.topics[0]) if q.yesno and len(q.topics) == 1 else None
        if claimed is not None and claimed.topic in ("reporting", "funding") and not a.foreign:
            # "báo cáo về Bộ Công an à?": what the document says on that topic, then the verdict
            return self._render(claimed, a, asker, 0.7, [], context)
        answer = self._answer(a, asker, context) if self.entries else None
        if answer is not None and (answer.answered or answer.kind != "decline"):
            return self._with_contact(answer, q)
        structural = self._structural(a, q, asker, unit)
        if structural is not None:
            return self._with_contact(structural, q)
        return answer if answer is not None else self._decline(a, [], 0.0)

    def _documents_side_by_side(self, a: Analysis) -> Answer | None:
        """ "QĐ 2468 và QĐ 3579 khác nhau ra sao?": what the document says of each."""
        texts: list[str] = []
        sources: list[Source] = []
        for d in self.pack.documents:
            if str(d.get("id")) not in a.known_docs or str(d.get("id")) == self.main:
                continue
            entry = self.doc_entries.get(str(d.get("id")))
            if entry is not None:
                texts.append(entry.answer)
                sources.extend(x for x in entry.sources if x not in sources)
                continue
            kind = str(d.get("kind") or "văn bản")
            when = f" ngày {d['date']}" if d.get("date") else ""
            title = " ".join(str(d.get("title") or "").split())
            texts.append(f"{kind.capitalize()} số {d.get('number')}{when}: {title}.")
        if len(texts) < 2:
            return None
        return Answer(text=" ".join(texts), answered=True, confidence=0.7, sources=sources, kind="answer")

    def _verdict(self, answer: Answer, a: Analysis, q: Question) -> Answer:
        """A yes/no question naming who does something ("Sở Tài chính là thường trực ... đúng không?",
        "báo cáo gửi về Bộ Công an phải không?"): "Đúng." when the answer names the same bodies and
        provisions, "Không đúng:" when it does not."""
        if not (q.yesno and answer.answered) or answer.text.startswith(("Đúng", "Không đúng")):
            return answer
        claims: list[str] = []
        if q.meta_slot in ROLE_SLOTS:
            claims = [u.name for u in a.units] + bodies_named(a.text)
        elif "reporting" in q.topics and not a.units:
            claims = bodies_named(a.text)  # "báo cáo về Bộ Công an": the recipient claimed
        claims += provisions(" ".join(a.toks))
        claims += [d for d in a.known_docs if d != self.main]  # "chỉ đạo thực hiện QĐ 3579 đúng không?"
        if not claims:
            return answer
        said = " ".join(tokens(answer.text))
        ok = all(f" {' '.join(tokens(c))} " in f" {said} " for c in claims)
        answer.text = ("Đúng. " if ok else "Không đúng: ") + answer.text
        return answer

    def _own_words(self, a: Analysis) -> list[str]:
        """Content words of the question that do not merely describe the document (issuer, subject)."""
        return [t for t in a.content if t not in self.identifying and t not in self.analyzer.general]

    def _fits(self, answer: Answer, a: Analysis, slot: str) -> bool:
        """A header answer covers the question: every content word of the question is a word of the slot's
        cues, of the document's label, or of the answer ("giai đoạn thí điểm" is not the document's period,
        "dựa trên đề xuất của ai" is not its issuer)."""
        cue = SLOT_WORDS.get(slot, frozenset())
        said_toks = tokens(answer.text) + tokens(self.facts.label)
        if _run(a.toks, self.subject_toks) >= 3:
            # "Quyết định ban hành kế hoạch <subject> có số hiệu là gì?": described by its subject
            said_toks += self.subject_toks
        said = set(said_toks) | cue
        if not all(t in said or t.isdigit() for t in a.content):
            return False
        pairs = {f"{x} {y}" for x, y in itertools.pairwise(said_toks)}
        az = self.analyzer
        for x, y in itertools.pairwise(a.features):  # unit and number spans removed
            pair = f"{x} {y}"
            if pair not in az.bigrams or pair in az.general_pairs or pair in pairs:
                continue
            if x in cue or y in cue:
                continue
            return False  # a word pair of the document that the answer does not speak of ("thí điểm")
        return True

    def _structural(self, a: Analysis, q: Question, asker: Unit | None, unit: str | None) -> Answer | None:
        """The passages' answer (packs without entries, or questions no entry covers)."""
        # words the document does not contain: it is about something else -- except the words of a topic
        # the document may simply not regulate ("kinh phí" in a plan that names no funding)
        foreign = [w for w in a.foreign if w not in TOPIC_WORDS or not q.topics]
        if len(foreign) >= 2 or (foreign and 3 * len(foreign) >= len(a.content)):
            return None
        bodies = [u.name for u in a.units]
        if not bodies and a.self_ref and (asker is not None or unit):
            bodies = [asker.name if asker is not None else str(unit)]
        if not bodies:
            # a body written in the question that the registry does not list ("Bộ Quốc phòng")
            bodies = [b for b in bodies_named(a.text) if fold(b) in self.passages.folded_text][:1]
        if q.meta_slot and not bodies and not q.topics:
            meta = self.facts.answer(q.meta_slot)
            if meta is not None:
                return meta
        if self.entries:
            # the entries (topics per unit category) already had their chance; passages only when they match
            # a general question well
            return None
        return self.passages.answer(q, a.features, bodies, len(a.foreign), len(a.content))

    def _with_contact(self, answer: Answer, q: Question) -> Answer:
        """Two-part questions ("... ? nếu chưa rõ thì hỏi ai?"): the contact is part of the answer."""
        if q.contact_too and self.facts.contact and self.facts.contact not in answer.text:
            answer.text = f"{answer.text} Nếu chưa rõ, đề nghị liên hệ {self.facts.contact}."
        return answer

    def _context_of(self, answer: Answer, a: Analysis, q: Question) -> dict[str, Any]:
        """What the answer was about, for the next question's pronouns (and the engine's own follow-ups)."""
        ctx = dict(answer.context or {})
        name = str((self.pack.meta.get("signer") or {}).get("name") or "")
        if name and name in answer.text:
            ctx["person"] = name
        docs = [d for d in a.known_docs if d != self.main]
        if not docs:
            # the referenced documents the answer names, in the order it names them
            found = []
            for n in self.doc_names:
                m = re.search(rf"\b{re.escape(n)}\b", answer.text)
                if n != self.main and m:
                    found.append((m.start(), n))
            docs = [n for _, n in sorted(found)]
        ctx["doc"] = docs[0] if docs else self.main
        ctx["docs"] = docs or [self.main]
        if a.units and "unit" not in ctx:
            ctx["unit"] = a.units[0].name
        return ctx

    def _funding_pointer(self, a: Analysis, asker: Unit | None) -> tuple[str, list[Source]]:
        """What the document says about funding (for an amount it does not state)."""
        entry = self.topic_entry.get("funding")
        if entry is not None:
            targets = self._targets(entry, a, asker, {})
            if targets:
                parts = [self._topic_text("funding", t) for t in targets[:3]]
                sources = [x for _, src in parts for x in src]
                return " ".join(t for t, _ in parts), [
                    x for i, x in enumerate(sources) if x not in sources[:i]
                ]
            return entry.answer, list(entry.sources)
        items = self.passages.topic_passages("funding")[:2]
        if not items:
            return "", []
        text = " ".join(f"«{i.passage.text}» ({i.passage.ref})" for i in items)
        return text, [Source(self.pack.document, i.passage.ref, i.passage.text[:240]) for i in items]

    def _answer(self, a: Analysis, asker: Unit | None, context: dict[str, Any]) -> Answer:

        ranked = self.index.search(a.features, limit=8, light=self.analyzer.general)
        scored = [(self.entries[i], self._adjust(self.entries[i], s, a, asker)) for i, s in ranked]
        scored.sort(key=lambda x: -x[1])
        best, score = scored[0] if scored else (None, 0.0)
        coverage = self._coverage(a)

        # Follow-up: "còn Sở Y tế thì sao?" right after a topic question.
        follow = self._follow_up(a, context, score)
        if follow is not None:
            best, score = follow
            coverage = max(coverage, 0.9)
        elif (
            best is not None
            and a.follow_up
            and best.topic in TOPICS_BY_CATEGORY
            and (context.get("unit") or context.get("category"))
            and not (a.units or a.categories or a.foreign)
            and score >= FOLLOW_TOPIC_MIN
        ):
            # "còn nhiệm vụ thì sao?" after a funding answer: the new topic, for the conversation's unit
            score = max(score, 0.6)

        # A bare unit or category ("Sở Y tế", "còn huyện Ba Tơ?") with no topic: overview for that unit.
        if (a.units or a.categories) and score < self.threshold and not a.foreign and _only_function(a):
            return self._overview(a, asker)

        confidence = max(0.0, min(1.0, score * coverage * (0.7 if a.present else 1.0)))
        caught = self._caught(a)
        if caught is not None and (best is None or confidence < self.threshold or best is not caught):
            # "mô hình Camera an ninh có được nhân rộng không": a name the letter does not contain, of a kind
            # an entry answers for all ("the letter names no model")
            best, confidence = caught, max(confidence, CATCH_CONFIDENCE)
        if best is None or confidence < self.threshold:
            return self._decline(a, scored, confidence)
        if a.count and "count" not in best.asks:
            return self._not_stated(a, "count")
        return self._render(best, a, asker, confidence, scored, context)

    def _caught(self, a: Analysis) -> Entry | None:
        """The entry whose ``catch`` phrase the question uses with words the letter does not contain."""
        if not a.foreign or a.units or a.categories:
            return None
        joined = f" {' '.join(a.toks)} "
        # only questions about which ones / whether ("... có được nhân rộng không", "mô hình nào", "là gì"),
        # not about something else of them ("tiền thưởng cho mô hình tiêu biểu")
        if not (a.asks & {"yesno", "what"} or " nao " in joined):
            return None
        for entry, phrases in self.catches:
            if any(f" {p} " in joined for p in phrases):
                return entry
        return None

    def _asks_office_holder(self, a: Analysis) -> bool:
        if not self.entries and not a.present:
            # a pack without entries: the passages may name who heads a committee ("Trưởng ban: ...")
            return False
        return self._holder(a)

    def _holder(self, a: Analysis) -> bool:
        """The person holding an office: "Ai là Chủ tịch UBND tỉnh hiện nay?", "Giám đốc Công an tỉnh là ai?".
        Answered only for an office the pack lists under ``known_offices`` and not for "now"."""
        if "who" not in a.asks or not a.offices:
            return False
        if a.present:
            return True
        toks = a.toks
        joined = f" {' '.join(toks)} "
        for start, end in a.offices:
            title = tuple(toks[start:end])
            known = next(
                (
                    k
                    for k in self.known_offices
                    if len(k) >= len(title) and tuple(toks[start : start + len(k)]) == k
                ),
                None,
            )
            if known is None:
                # "Ban Chỉ đạo 247 do ai làm trưởng ban?": the rest of a known office named elsewhere
                if any(
                    k[: len(title)] == title
                    and len(k) > len(title)
                    and f" {' '.join(k[len(title) :])} " in joined
                    for k in self.known_offices
                ):
                    continue
                return True
            # a bare title followed by a unit or category, or by a word of its own, is another body's officer
            # ("Chủ tịch Hội Nông dân", "Chủ tịch nước")
            tail = start + len(known)
            if any(tail <= m <= tail + 1 for m in a.mention_starts):
                return True
            if len(known) == end - start and tail < len(toks) and toks[tail] not in self.analyzer.general:
                return True
        return False

    # -- scoring --------------------------------------------------------------------------------------------
    def _adjust(self, entry: Entry, score: float, a: Analysis, asker: Unit | None = None) -> float:
        known = a.known_docs
        score *= self._content_fit(entry, a)
        if entry.asks and a.asks & set(entry.asks) & {"who", "when", "where"}:
            score *= ASKS_MATCH  # "... là ai ký vậy": the entry that gives a person
        if a.self_ref and asker is not None and entry.topic in PERSONAL_TOPICS:
            score *= SELF_TOPIC  # "bên mình làm gì": the asker's own duties, funding, reporting
        if a.refs:
            # "Mục 2 quy định gì", "câu kết": entries quoting that part of the letter first
            cited = {ref_head(s.ref) for s in entry.sources}
            score *= 1.1 if cited & set(a.refs) else 0.8
        if entry.asks and a.asks and not (a.asks & set(entry.asks)):
            score *= 0.7  # "ai ký" is not answered by a date, "ngày nào" not by a name
        main = str(self.pack.meta.get("number_short", ""))
        if entry.doc and entry.doc != main and entry.doc not in known:
            # an entry about a referenced decision, for a question that does not name it
            score *= 0.75
        if known and entry.doc:
            if entry.doc in known:
                score = min(1.0, score * 1.15 + 0.05)
                if entry.topic == "document":
                    # the question names this decision: its summary (date, signer, title) is the best we have
                    score = max(score, 0.5)
            elif entry.doc != main or known - {main}:
                score *= 0.55
        return score

    def _content_fit(self, entry: Entry, a: Analysis) -> float:
        """1.0 when every content word of the question that the pack knows is a word the entry uses (in a
        phrasing or its answer); down to MISSING_FLOOR when none is.  Weighted by rarity (idf)."""
        salient = [
            t for t in a.content if t not in a.foreign and t not in self.identifying and t in self.index.idf
        ]
        if not salient:
            return 1.0
        cover = self.cover[self.entry_index[entry.id]]
        total = missing = 0.0
        for t in salient:
            w = self.index.idf[t]
            total += w
            if t not in cover:
                missing += w
        return 1.0 - (1.0 - MISSING_FLOOR) * (missing / total)

    def _coverage(self, a: Analysis) -> float:
        """How much of the question the pack knows.  The letter's identifying words (issuer, subject) do not
        count as known content: "Giờ làm việc của UBND tỉnh" is about office hours, nothing else."""
        n_foreign = len(a.foreign)
        if n_foreign == 0:
            return 1.0
        own = [t for t in a.content if t not in self.identifying or t in a.foreign]
        share = n_foreign / max(len(own), 1)
        if n_foreign == 1:
            return 0.85 if share <= 0.25 else 0.65 if share <= 0.5 else 0.45
        if n_foreign == 2:
            return 0.6 if share <= 0.25 else 0.35
        return 0.25

    def _follow_up(self, a: Analysis, context: dict[str, Any], score: float) -> tuple[Entry, float] | None:
        prev = self.by_id.get(str(context.get("entry", "")))
        if prev is None or a.foreign:
            return None
        weak = score < 0.5 or a.follow_up
        if not weak:
            return None
        if prev.topic in TOPICS_BY_CATEGORY and (a.units or a.categories):
            return prev, max(score, 0.75)
        if prev.topic == "document" and a.known_docs:
            for num in a.known_docs:
                entry = self.doc_entries.get(num)
                if entry is not None:
                    return entry, max(score, 0.75)
        return None

    # -- rendering ------------------------------------------------------------------------------------------
    def _render(
        self,
        entry: Entry,
        a: Analysis,
        asker: Unit | None,
        confidence: float,
        scored: list[tuple[Entry, float]],
        context: dict[str, Any],
    ) -> Answer:
        targets = self._targets(entry, a, asker, context)
        if entry.topic in TOPICS_BY_CATEGORY and targets:
            texts: list[str] = []
            sources: list[Source] = []
            for target in targets[:3]:
                t, s = self._topic_text(entry.topic or "", target)
                texts.append(t)
                sources.extend(x for x in s if x not in sources)
            text = " ".join(texts)
        else:
            text, sources = entry.answer, list(entry.sources)
        ctx: dict[str, Any] = {"entry": entry.id}
        if targets and isinstance(targets[0], Unit):
            ctx["unit"] = targets[0].name
        elif targets:
            ctx["category"] = targets[0]
        suggestions = [e.suggest for e, s in scored[1:] if e.id != entry.id and e.suggest and s > 0.15][:3]
        return Answer(
            text=text,
            answered=True,
            confidence=confidence,
            sources=sources,
            suggestions=suggestions,
            context=ctx,
            kind="answer",
            entry_id=entry.id,
        )

    def _targets(
        self, entry: Entry, a: Analysis, asker: Unit | None, context: dict[str, Any]
    ) -> list[Unit | str]:
        """Who a topic answer is about: units named > own unit (self-reference) > categories named >
        previous unit (follow-up) > the asker's unit > nobody (general answer)."""
        if entry.topic not in TOPICS_BY_CATEGORY:
            return []
        if a.units:
            # "so sánh Công an tỉnh với các sở ngành": the units and the categories named
            return [*a.units, *a.categories]
        if asker is not None and a.self_ref:
            return [asker]
        if a.categories:
            if asker is not None and asker.category in a.categories and a.self_ref:
                return [asker]
            return list(a.categories)
        prev_unit = self.pack.unit(str(context.get("unit", ""))) if context.get("unit") else None
        if prev_unit is not None and a.follow_up:
            return [prev_unit]
        prev_category = str(context.get("category", ""))
        if a.follow_up and prev_category in self.pack.categories:
            return [prev_category]
        if asker is not None and entry.topic in PERSONAL_TOPICS:
            return [asker]
        return []

    def _topic_text(self, topic: str, target: Unit | str) -> tuple[str, list[Source]]:
        if isinstance(target, Unit):
            unit_name, category, standing = target.name, target.category, target.standing_office
        else:
            category, standing = target, False
            unit_name = self.pack.category_label(category)
        spec = self.pack.categories.get(category, {})
        label = str(spec.get("label", category))
        if topic == "addressees":
            return self._addressee_text(target, unit_name, category)
        if topic == "duties" and standing:
            block = self.pack.data.get("standing_office_duties", {})
            return _fill(block.get("text", ""), unit_name, label, self.contact, standing), self._sources(
                block
            )
        if topic == "reporting":
            block = self.pack.data.get("reporting", {})
            tmpl = block.get("text", "") if standing else block.get("unit_text") or block.get("text", "")
            return _fill(tmpl, unit_name, label, self.contact, standing), self._sources(block)
        block = spec.get(topic) or {}
        if not block:
            entry = self.topic_entry.get(topic)
            return (entry.answer, list(entry.sources)) if entry else ("", [])
        return _fill(block.get("text", ""), unit_name, label, self.contact, standing), self._sources(block)

    def _addressee_text(self, target: Unit | str, unit_name: str, category: str) -> tuple[str, list[Source]]:
        lines = self.pack.data.get("addressees", [])
        named = next((x for x in lines if isinstance(target, Unit) and x.get("unit") == target.name), None)
        line = named or next((x for x in lines if x.get("category") == category and not x.get("unit")), None)
        if line is None:
            line = next((x for x in lines if x.get("category") == category), None)
        if line is None:
            entry = self.topic_entry["addressees"]
            return entry.answer, list(entry.sources)
        src = [self.pack.source({"passage": line["passage"]})] if line.get("passage") else []
        quoted = str(line["text"])
        if named is not None or not isinstance(target, Unit):
            text = f"Có. Phần Kính gửi của công văn có “{quoted}”."
        else:
            text = f"Có. Công văn kính gửi “{quoted}”; {unit_name} thuộc nhóm này."
        return text, src

    def _sources(self, block: dict[str, Any]) -> list[Source]:
        return [self.pack.source(s) for s in block.get("sources", [])]

    def _overview(self, a: Analysis, asker: Unit | None) -> Answer:
        target: Unit | str = a.units[0] if a.units else a.categories[0]
        texts: list[str] = []
        sources: list[Source] = []
        for topic in ("duties", "funding"):
            t, s = self._topic_text(topic, target)
            if t:
                texts.append(t)
                sources.extend(x for x in s if x not in sources)
        ctx: dict[str, Any] = {"entry": "duties"}
        if isinstance(target, Unit):
            ctx["unit"] = target.name
            intro = f"{target.name} thuộc nhóm {self.pack.category_label(target.category)}."
        else:
            ctx["category"] = target
            intro = ""
        text = " ".join(x for x in [intro, *texts] if x)
        sugg = [e.suggest for e in (self.topic_entry.get("reporting"),) if e and e.suggest]
        return Answer(
            text=text,
            answered=True,
            confidence=0.6,
            sources=sources,
            suggestions=sugg,
            context=ctx,
            kind="answer",
            entry_id="overview",
        )

    # -- declines and small talk ----------------------------------------------------------------------------
    def _decline(self, a: Analysis, scored: list[tuple[Entry, float]], confidence: float) -> Answer:
        sugg = [e.suggest for e, s in scored if e.suggest and s >= 0.2][:3] or self.default_suggestions
        text = (
            f"Xin lỗi, câu hỏi này nằm ngoài nội dung văn bản {self.number} nên tôi chưa trả lời được. "
            "Tôi chỉ trả lời những gì công văn nêu; bạn có thể hỏi lại theo các gợi ý dưới đây."
        )
        return Answer(text=text, answered=False, confidence=confidence, suggestions=sugg[:3], kind="decline")

    def _unknown_document(self, a: Analysis) -> Answer:
        nums = ", ".join(dict.fromkeys(a.unknown_docs))
        known = [
            str(d.get("number"))
            for d in self.pack.documents
            if str(d.get("id")) != self.pack.meta.get("number_short")
        ]
        ref = f" và các văn bản được công văn dẫn chiếu ({', '.join(known)})" if known else ""
        text = (
            f"Xin lỗi, tôi không có thông tin về văn bản số {nums}. Tôi chỉ trả lời theo văn bản "
            f"{self.number}{ref}."
        )
        return Answer(
            text=text,
            answered=False,
            confidence=0.0,
            suggestions=self.default_suggestions,
            kind="unknown_document",
        )

    def _amount(self, a: Analysis, asker: Unit | None) -> Answer:
        """A sum the document does not state: the silence said plainly, with the funding provision (the one
        of the unit named, or the asker's own unit when they say "chúng tôi", else the general rule).
        Grounded
        in the document, so ``answered`` is True."""
        pointer_text, sources = self._funding_pointer(a, asker)
        pointer = f" Về nguồn kinh phí, văn bản chỉ nêu: {pointer_text}" if pointer_text else ""
        text = f"Văn bản {self.number} không nêu số tiền hay mức chi cụ thể.{pointer}" + (
            "" if pointer_text else " Văn bản không quy định nguồn kinh phí."
        )
        entry = self.topic_entry.get("funding")
        ctx: dict[str, Any] = {"entry": entry.id, "amount": True} if entry is not None else {"amount": True}
        if entry is not None:
            targets = self._targets(entry, a, asker, {})
            if targets:
                ctx["unit" if isinstance(targets[0], Unit) else "category"] = (
                    targets[0].name if isinstance(targets[0], Unit) else targets[0]
                )
        return Answer(
            text=text,
            answered=True,
            confidence=0.7,
            sources=sources,
            suggestions=self.default_suggestions,
            context=ctx,
            kind="amount",
        )

    def _not_stated(self, a: Analysis, why: str) -> Answer:
        """Declines a question about a person: who holds an office (now, or an office whose holder the
        letter does not name) or personal details.  States the one fact the letter has: who signed it."""
        signer = self.pack.meta.get("signer") or {}
        if why == "lower_level":
            entry = self.topic_entry.get("addressees")
            listed = f" {entry.answer}" if entry else ""
            return Answer(
                text=(
                    f"Xin lỗi, văn bản {self.number} không nêu nội dung riêng cho cấp xã, phường, thị trấn "
                    f"nên tôi không trả lời được.{listed}"
                ),
                answered=False,
                confidence=0.0,
                sources=list(entry.sources) if entry else [],
                suggestions=self.default_suggestions,
                kind="not_stated",
            )
        if why == "count":
            return Answer(
                text=f"Xin lỗi, văn bản {self.number} không nêu con số này nên tôi không trả lời được.",
                answered=False,
                confidence=0.0,
                suggestions=self.default_suggestions,
                kind="not_stated",
            )
        what = (
            "thông tin cá nhân (năm sinh, quê quán, số điện thoại, địa chỉ ...)"
            if why == "personal"
            else "thông tin về người đang giữ chức vụ này" + (" hiện nay" if a.present else "")
        )
        fact = ""
        sources: list[Source] = []
        if signer.get("name"):
            date = self.pack.meta.get("date")
            when = f" ngày {date}" if date else ""
            fact = f" Công văn chỉ nêu: văn bản được ký{when} bởi {signer.get('title', '')} {signer['name']}."
            fact = " ".join(fact.split()).replace(" .", ".")
            fact = " " + fact
            if isinstance(signer.get("source"), dict):
                sources = [self.pack.source(signer["source"])]
        text = f"Xin lỗi, văn bản {self.number} không có {what} nên tôi không trả lời được.{fact}"
        return Answer(
            text=text,
            answered=False,
            confidence=0.0,
            sources=sources,
            suggestions=self.default_suggestions,
            kind="not_stated",
        )

    def _social(self, folded: str) -> Answer | None:
        stripped = folded.replace("/", " ").strip()
        words = stripped.split()
        # tolerate a trailing "a", "nhe", "bot", "ban" ...
        core = (
            " ".join(w for w in words if w not in {"a", "nhe", "nha", "ne", "bot", "oi", "ad", "admin"})
            or stripped
        )
        name = self.number
        if core in lexicon.GREETINGS or stripped in lexicon.GREETINGS:
            return Answer(
                text=(
                    f"Xin chào! Tôi là trợ lý hỏi đáp về văn bản {name}. Bạn cứ hỏi về nội dung công văn, "
                    "ví dụ kinh phí, nhiệm vụ của đơn vị hay việc báo cáo kết quả."
                ),
                answered=False,
                confidence=1.0,
                suggestions=self.default_suggestions,
                kind="greeting",
            )
        if core in lexicon.THANKS or stripped in lexicon.THANKS:
            return Answer(
                text=f"Không có gì ạ. Cần hỏi thêm về văn bản {name}, bạn cứ nhắn nhé.",
                answered=False,
                confidence=1.0,
                kind="thanks",
            )
        if core in lexicon.HELP or stripped in lexicon.HELP:
            return self._help()
        return None

    def _help(self) -> Answer:
        return Answer(
            text=(
                f"Tôi trả lời câu hỏi về văn bản {self.number}: ai ký, ngày ban hành, gửi cho ai, "
                "nhiệm vụ của từng đơn vị, kinh phí áp dụng, báo cáo kết quả, các quyết định được dẫn chiếu. "
                "Mỗi câu trả lời "
                "kèm trích dẫn nguồn. Hãy gõ câu hỏi bằng tiếng Việt, có dấu hoặc không dấu."
            ),
            answered=False,
            confidence=1.0,
            suggestions=self.default_suggestions,
            kind="help",
        )

    # -- helpers --------------------------------------------------------------------------------------------
    def _resolve_unit(self, unit: str | None) -> Unit | None:
        if not unit:
            return None
        exact = self.pack.unit(unit)
        if exact is not None:
            return exact
        ranked = self.analyzer.units.match(unit, limit=1)
        if ranked and ranked[0][1] >= 85:
            return ranked[0][0]
        return None


def _run(toks: list[str], other: list[str]) -> int:
    """Length of the longest run of consecutive tokens the two share."""
    best = 0
    pos: dict[str, list[int]] = {}
    for j, t in enumerate(other):
        pos.setdefault(t, []).append(j)
    for i, t in enumerate(toks):
        for j in pos.get(t, ()):
            k = 0
            while i + k < len(toks) and j + k < len(other) and toks[i + k] == other[j + k]:
                k += 1
            best = max(best, k)
    return best


def _contains(toks: list[str], part: list[str]) -> bool:
    n = len(part)
    return bool(part) and any(toks[i : i + n] == part for i in range(len(toks) - n + 1))


def _only_function(a: Analysis) -> bool:
    """After removing units/categories, only function words (or a follow-up marker) remain."""
    return not a.content


_SENT = re.compile(r"(?<=[.;])\s+")


def _fill(template: str, unit: str, label: str, contact: str, standing: bool) -> str:
    text = " ".join(str(template).split())
    if standing:
        # The standing office is not told to "contact the standing office".
        text = " ".join(
            s for s in _SENT.split(text) if "liên hệ Công an tỉnh" not in s and "{contact}" not in s
        )
    text = text.replace("{unit}", unit).replace("{label}", label).replace("{contact}", contact)
    return _capitalize(text)


def _capitalize(text: str) -> str:
    def up(m: re.Match[str]) -> str:
        return m.group(1) + m.group(2).upper()

    text = re.sub(r"(^|[.!?]\s+)(\w)", up, text)
    return text
