"""The body's structure: passages with references as the document names them.

Parts (Phần I / Phần A), chapters, named sections (Mục 1), Roman sections ("I." -> "Mục I"), articles
("Điều 3"), numbered items ("1." -> "khoản 1" inside a section or article, "Mục 1" at the top of a letter),
decimal items ("2.1." -> "điểm 2.1"), points ("a)" -> "điểm a"), bullets ("-" -> "gạch đầu dòng 2", "+" ->
"ý 1"), tables (one passage per row), "Kính gửi", grounds ("Căn cứ ..."), "Nơi nhận", the signature block
and a plan (or rules, programme ...) attached after a decision ("Kế hoạch kèm theo, Mục II, khoản 2").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.ingest.header import Header, _read_title, _type_of
from knowledge.ingest.text import Recaser, collapse, fold, is_upper, vocab

_MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("phan", re.compile(r"^(?:PHẦN|Phần)\s+((?:thứ|THỨ)\s+\w+|[IVXLC]+|\d+)\s*[.:\-–]?\s*(.*)$")),
    ("chuong", re.compile(r"^(?:CHƯƠNG|Chương)\s+([IVXLC]+|\d+)\s*[.:\-–]?\s*(.*)$")),
    ("muc_named", re.compile(r"^(?:MỤC|Mục)\s+(\d+|[IVXLC]+)\s*[.:\-–]\s*(.*)$")),
    ("dieu", re.compile(r"^Điều\s+(\d+[a-z]?)\s*[.:]\s*(.*)$")),
    ("letter", re.compile(r"^([A-H])\s*[.)]\s+(\S.*)$")),
    ("roman", re.compile(r"^([IVXLC]+)\s*[.)\-–]\s+(\S.*)$")),
    ("decimal_letter", re.compile(r"^(\d+(?:\.\d+)+\.[a-zđ])\s*[.)]\s*(\S.*)$")),
    ("decimal", re.compile(r"^(\d+(?:\.\d+)+)\s*[.)]?\s+(\S.*)$")),
    ("num", re.compile(r"^(\d{1,2})\s*[.)/]\s*(\S.*)$")),
    ("diem", re.compile(r"^([a-zđ])\s*\)\s*(\S.*)$")),
    ("bullet", re.compile(r"^[-–•*]\s*(\S.*)$")),
    ("plus", re.compile(r"^\+\s*(\S.*)$")),
]
_CONTAINERS = ("phan", "chuong", "muc_named", "dieu", "letter", "roman")
_NAME = re.compile(r"^[A-ZĐÀ-Ỹ][a-zà-ỹđ]*(?:\s+[A-ZĐÀ-Ỹ][a-zà-ỹđ]*){1,4}$")
_SIG_PREFIX = re.compile(r"^(?:TM|T/M|KT|K/T|TL|TUQ|Q|QUYỀN)\.?\s+", re.I)
_CLOSING = ("tren day la", "trong qua trinh", "yeu cau cac", "yeu cau thu truong", "de nghi cac", "nhan duoc")


@dataclass
class Node:
    id: str
    kind: str  # header | ground | addressee | body | table_row | signature | recipients
    ref: str
    text: str
    section: list[str] = field(default_factory=list)
    level: str = ""
    label: str = ""
    heading: str = ""  # this node's own heading (the marker line's text), recased
    parent: Node | None = field(default=None, repr=False)
    children: int = 0
    paragraphs: int = 1
    columns: list[str] = field(default_factory=list)
    bullets: int = 0
    part: str = ""
    path: str = ""  # the reference inside its part ("Mục II, khoản 2")

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"id": self.id, "ref": self.ref, "kind": self.kind, "text": self.text}
        if self.section:
            d["section"] = list(self.section)
        if self.columns:
            d["columns"] = list(self.columns)
        return d


@dataclass
class Structure:
    nodes: list[Node] = field(default_factory=list)
    addressees: list[Node] = field(default_factory=list)
    recipients: list[Node] = field(default_factory=list)
    grounds: list[Node] = field(default_factory=list)
    signatures: list[list[str]] = field(default_factory=list)  # each: the block's lines, the name last
    attachments: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def marker(line: str) -> tuple[str, str, str] | None:
    for level, rx in _MARKERS:
        m = rx.match(line)
        if m:
            if level == "roman" and not _roman_ok(m.group(1)):
                continue
            if level == "letter" and not is_upper(m.group(2)[:40]):
                continue
            groups = m.groups()
            return (level, groups[0], groups[1]) if len(groups) == 2 else (level, "", groups[0])
    return None


def _roman_ok(numeral: str) -> bool:
    return bool(re.fullmatch(r"X{0,3}(IX|IV|V?I{0,3})", numeral)) and numeral != ""


def _sig_line(line: str) -> bool:
    words = line.split()
    return (
        is_upper(line)
        and 1 <= len(words) <= 9
        and not any(c.isdigit() for c in line)
        and not line.rstrip().endswith((":", ";", ","))
    )


def _is_name(line: str) -> bool:
    return bool(_NAME.match(line.strip())) and not is_upper(line)


class _Parser:
    def __init__(self, lines: list[str], header: Header, recaser: Recaser) -> None:
        self.lines = lines
        self.header = header
        self.recaser = recaser
        self.out = Structure()
        self.stack: list[Node] = []
        self.part = ""
        self.started = False  # a marker has been seen (the preamble is over)
        self.closed = False  # the closing paragraph / recipients / signature has been seen
        self.table: list[Node] = []
        self.tables = 0
        self.preamble = 0
        self.grounds = 0
        self.counter = 0
        self.top_bullets = 0

    # -- helpers
    def new_id(self) -> str:
        self.counter += 1
        return f"p{self.counter}"

    def prefix(self, labels: list[str]) -> str:
        parts = ([self.part] if self.part else []) + [x for x in labels if x]
        return ", ".join(parts)

    def section_of(self, parent: Node | None) -> list[str]:
        chain: list[str] = []
        node = parent
        while node is not None:
            chain.append(_section_label(node))
            node = node.parent
        chain.reverse()
        return ([self.part] if self.part else []) + chain

    def add(self, node: Node) -> Node:
        self.out.nodes.append(node)
        return node

    # -- main loop
    def run(self) -> Structure:
        i = self.header.body_start
        n = len(self.lines)
        while i < n:
            line = self.lines[i]
            if not line:
                i += 1
                continue
            i = self.step(i, line)
        return self.out

    def step(self, i: int, line: str) -> int:
        f = fold(line)
        if f.startswith("kinh gui"):
            return self.addressee_block(i, line)
        if f.startswith("noi nhan"):
            return self.recipient_block(i, line)
        if " | " in line:
            self.table_row(line)
            return i + 1
        self.table = []
        if _sig_line(line) and self.closed_or_late(i):
            j = self.signature(i)
            if j:
                return j
        kind = _type_of(line)
        if kind and kind in vocab()["attachable"] and self.attachment_ahead(i):
            return self.attachment(i, kind)
        if kind and line.rstrip().endswith(":") and not self.started:  # "QUYẾT ĐỊNH:" opens the articles
            return i + 1
        mk = marker(line)
        if mk:
            self.item(*mk)
            return i + 1
        self.paragraph(line)
        return i + 1

    def closed_or_late(self, i: int) -> bool:
        return self.closed or (self.started and i > len(self.lines) * 0.3)

    def attachment_ahead(self, i: int) -> bool:
        """A plan (rules ...) attached after a decision: its type line after a signature, or followed by
        "(Ban hành kèm theo ...)" within a few lines."""
        if self.out.signatures and self.started:
            return True
        return any("kem theo" in fold(self.lines[j]) for j in range(i + 1, min(i + 6, len(self.lines))))

    def attachment(self, i: int, kind: str) -> int:
        part = f"{kind[:1].upper()}{kind[1:]} kèm theo"
        sub = Header()
        j = _read_title(sub, self.lines, i + 1, len(self.lines))
        self.part = part
        self.stack = []
        self.started = False
        self.closed = False
        self.preamble = 0
        title = collapse(" ".join(sub.title_lines))
        text = collapse(f"{self.lines[i]} {title}")
        node = self.add(Node(self.new_id(), "header", f"{part}, tên văn bản", text, [part], part=part))
        self.out.attachments.append(
            {"kind": kind, "part": part, "title": self.recaser.recase(title), "passage": node.id}
        )
        return j

    # -- blocks
    def addressee_block(self, i: int, line: str) -> int:
        rest = line.split(":", 1)[1].strip() if ":" in line else re.sub(r"^Kính gửi\s*", "", line).strip()
        items: list[str] = []
        if rest:
            items = [x.strip() for x in re.split(r";", rest) if x.strip()]
        j = i + 1
        n = len(self.lines)
        while not items and j < n and not self.lines[j]:
            j += 1
        while j < n:
            cand = self.lines[j]
            if not cand:
                j += 1
                continue
            m = re.match(r"^[-–•+*]\s*(.+)$", cand)
            if m:
                items.append(m.group(1).strip())
                j += 1
                continue
            if not rest and len(items) < 20 and cand.rstrip().endswith((";", ",")) and not marker(cand):
                items.append(cand.strip())
                j += 1
                continue
            break
        for k, item in enumerate(items, 1):
            ref = "Kính gửi" if len(items) == 1 else f"Kính gửi, gạch đầu dòng {k}"
            node = self.add(Node(self.new_id(), "addressee", ref, item, ["Kính gửi"]))
            self.out.addressees.append(node)
        return j

    def recipient_block(self, i: int, line: str) -> int:
        self.closed = True
        rest = line.split(":", 1)[1].strip() if ":" in line else ""
        items = [rest] if rest else []
        j = i + 1
        n = len(self.lines)
        while j < n:
            cand = self.lines[j]
            if not cand:
                j += 1
                continue
            m = re.match(r"^[-–•+*]\s*(.+)$", cand)
            if not m:
                break
            items.append(m.group(1).strip())
            j += 1
        for k, item in enumerate(items, 1):
            node = self.add(
                Node(self.new_id(), "recipients", f"Nơi nhận, gạch đầu dòng {k}", item, ["Nơi nhận"])
            )
            self.out.recipients.append(node)
        return j

    def signature(self, i: int) -> int:
        block: list[str] = []
        j = i
        n = len(self.lines)
        while j < n and len(block) < 6:
            cand = self.lines[j]
            if not cand:
                j += 1
                continue
            if _is_name(cand) and block:
                block.append(cand.strip())
                self.out.signatures.append(block)
                ref = f"{self.part}, chữ ký" if self.part else "Chữ ký"
                self.add(Node(self.new_id(), "signature", ref, " ".join(block), [ref]))
                self.closed = True
                self.stack = []
                return j + 1
            if not _sig_line(cand) or (marker(cand) and not _SIG_PREFIX.match(cand)):
                return 0
            block.append(cand.strip())
            j += 1
        return 0

    def table_row(self, line: str) -> None:
        cells = [c.strip() for c in line.split(" | ")]
        parent = self.stack[-1] if self.stack else None
        if not self.table:
            self.tables += 1
            base = self.prefix([parent.ref] if parent else [])
            ref = f"{base}, bảng {self.tables}, dòng tiêu đề" if base else f"Bảng {self.tables}, dòng tiêu đề"
            node = Node(self.new_id(), "table_row", ref, line, self.section_of(parent), columns=cells)
            self.table = [self.add(node)]
            return
        head = self.table[0]
        base = head.ref.rsplit(", dòng", 1)[0]
        node = Node(self.new_id(), "table_row", f"{base}, dòng {len(self.table)}", line, head.section)
        node.columns = head.columns
        self.table.append(self.add(node))

    # -- numbered structure
    def item(self, level: str, num: str, rest: str) -> None:
        self.started = True
        # pop to the nearest node of the same level, or to the container this level belongs under
        while self.stack and self.stack[-1].level != level and _rank(self.stack[-1].level) >= _rank(level):
            self.stack.pop()
        if self.stack and self.stack[-1].level == level:
            self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        label = self.label(level, num, parent)
        path = f"{parent.path}, {label}" if parent else label
        if parent is not None:
            parent.children += 1
        node = Node(
            self.new_id(),
            "body",
            self.prefix([path]),
            rest.strip(),
            self.section_of(parent),
            level=level,
            label=label,
            parent=parent,
            part=self.part,
            path=path,
        )
        node.heading = self.recaser.recase(rest.strip().rstrip(":")) if len(rest) < 200 else ""
        self.add(node)
        self.stack.append(node)

    def label(self, level: str, num: str, parent: Node | None) -> str:
        if level == "phan":
            return f"Phần {num}"
        if level == "chuong":
            return f"Chương {num}"
        if level == "muc_named":
            return f"Mục {num}"
        if level == "dieu":
            return f"Điều {num}"
        if level == "letter":
            return f"Phần {num}"
        if level == "roman":
            return f"Mục {num}"
        if level == "num":
            return f"khoản {num}" if parent is not None or self.has_containers() else f"Mục {num}"
        if level in ("decimal", "decimal_letter"):
            return f"điểm {num}"
        if level == "diem":
            return f"điểm {num}"
        holder = parent
        if holder is None:
            self.top_bullets += 1
            count = self.top_bullets
        else:
            holder.bullets += 1
            count = holder.bullets
        return f"gạch đầu dòng {count}" if level == "bullet" else f"ý {count}"

    def has_containers(self) -> bool:
        return any(n.level in _CONTAINERS for n in self.out.nodes)

    def paragraph(self, line: str) -> None:
        f = fold(line)
        if not self.started:
            self.preamble_paragraph(line, f)
            return
        top = self.stack[-1] if self.stack else None
        ends = line.rstrip().endswith("./.") and not (top is not None and top.text.rstrip().endswith(":"))
        if self.closed or ends or f.startswith(_CLOSING):
            self.closing(line)
            return
        if top is not None and not top.children and top.paragraphs < 4 and len(top.text) < 1500:
            top.text = f"{top.text}\n{line}"
            top.paragraphs += 1
            return
        # after sub-items: a paragraph of the enclosing item (not of its last bullet)
        while self.stack and self.stack[-1].level in ("bullet", "plus", "diem", "decimal_letter"):
            self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        if parent is None:
            self.closing(line)
            return
        section = [*self.section_of(parent.parent), _section_label(parent)]
        node = Node(
            self.new_id(),
            "body",
            parent.ref,
            line,
            section,
            parent=parent,
            level="para",
            part=self.part,
            path=parent.path,
        )
        parent.children += 1
        self.add(node)

    def closing(self, line: str) -> None:
        self.stack = []
        self.closed = True
        node = Node(self.new_id(), "body", self.prefix(["Đoạn kết"]), line, [self.part] if self.part else [])
        self.add(node)

    def preamble_paragraph(self, line: str, f: str) -> None:
        if f.startswith("can cu"):
            self.grounds += 1
            node = self.add(
                Node(
                    self.new_id(),
                    "ground",
                    self.prefix([f"Căn cứ {self.grounds}"]),
                    line,
                    [self.part] if self.part else [],
                )
            )
            self.out.grounds.append(node)
            return
        if any(f.startswith(g) for g in vocab()["grounds"]):
            node = self.add(
                Node(
                    self.new_id(),
                    "ground",
                    self.prefix(["Phần mở đầu"]),
                    line,
                    [self.part] if self.part else [],
                )
            )
            self.out.grounds.append(node)
            return
        if self.out.signatures or self.closed:
            self.closing(line)
            return
        self.preamble += 1
        ref = self.prefix(["Phần mở đầu" if self.preamble == 1 else f"Phần mở đầu, đoạn {self.preamble}"])
        self.add(Node(self.new_id(), "body", ref, line, [self.part] if self.part else []))


_RANKS = {
    "phan": 0,
    "chuong": 1,
    "letter": 1,
    "muc_named": 2,
    "roman": 2,
    "dieu": 3,
    "num": 4,
    "decimal": 5,
    "decimal_letter": 6,
    "diem": 6,
    "bullet": 7,
    "plus": 8,
    "para": 9,
}


def _rank(level: str) -> int:
    return _RANKS.get(level, 9)


def _section_label(node: Node) -> str:
    label = node.label or node.ref
    return f"{label}. {node.heading}" if node.heading else label


def parse_structure(lines: list[str], header: Header, recaser: Recaser) -> Structure:
    return _Parser(lines, header, recaser).run()
