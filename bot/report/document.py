"""The compiled report as a .docx in the administrative format of Decree 30/2020/NĐ-CP (Annex I; the report
template of Annex III), with python-docx (imported only here).

Layout: A4 portrait; margins top/bottom 20 mm, left 30 mm, right 15,5 mm; Times New Roman; a borderless
two-column letterhead (parent and issuing body, "Số: …/BC-…" left for the clerk | national motto with a
rule under it, place and date in italics); title and subject bold and centred; "Kính gửi: …"; the body
justified with a first-line indent; page numbers centred in the top margin from page 2; "Nơi nhận:" and the
signature block at the end.
"""

from __future__ import annotations

import copy
import io
from typing import Any

from bot.report import text, vn
from bot.report.data import Entry, Report
from bot.report.fonts import text_width_cm as _text_width_cm

FONT = "Times New Roman"
BODY, HEAD, NAMES, TABLE, COPIES, COPIES_HEAD = 14, 13, 12, 12, 11, 12  # point sizes
PAGE_W, PAGE_H = 210, 297  # mm
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 20, 20, 30, 15.5  # mm (15 would round to 14,99)
LEFT_COL, RIGHT_COL = 6.85, 9.6  # cm: the letterhead and signature columns (text width 16.45 cm)
INDENT = 1.0  # cm, first line of body paragraphs (the decree: 1–1.27 cm)
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
SLOGAN = "Độc lập - Tự do - Hạnh phúc"
# Results table: (header, width in cm)
COLUMNS = (
    ("STT", 1.1),
    ("Đơn vị", 3.35),
    ("", 2.2),
    ("", 3.5),
    ("", 2.7),
    ("Ngày nộp", 2.2),
    ("Phiên bản", 1.4),
)
CELL_MARGIN = 0.1  # cm, left and right inside the results table's cells
# w:tblPr and w:pPr children in schema order, for inserting elements where Word expects them
_TBLPR_ORDER = [
    "tblStyle",
    "tblpPr",
    "tblOverlap",
    "bidiVisual",
    "tblStyleRowBandSize",
    "tblStyleColBandSize",
    "tblW",
    "jc",
    "tblCellSpacing",
    "tblInd",
    "tblBorders",
    "shd",
    "tblLayout",
    "tblCellMar",
    "tblLook",
]
_PPR_ORDER = [
    "pStyle",
    "keepNext",
    "keepLines",
    "pageBreakBefore",
    "framePr",
    "widowControl",
    "numPr",
    "suppressLineNumbers",
    "pBdr",
    "shd",
    "tabs",
    "suppressAutoHyphens",
    "kinsoku",
    "wordWrap",
    "overflowPunct",
    "topLinePunct",
    "autoSpaceDE",
    "autoSpaceDN",
    "bidi",
    "adjustRightInd",
    "snapToGrid",
    "spacing",
    "ind",
    "contextualSpacing",
    "mirrorIndents",
    "suppressOverlap",
    "jc",
]


def _insert(parent: Any, child: Any, order: list[str]) -> None:
    """Insert ``child`` into ``parent`` where the schema's sequence ``order`` puts it (Word is strict)."""
    name = child.tag.split("}")[1]
    later = set(order[order.index(name) + 1 :])
    follower = next((c for c in parent if c.tag.split("}")[1] in later), None)
    if follower is not None:
        follower.addprevious(child)
    else:
        parent.append(child)


class Writer:
    """Builds one document; small methods, one per part of the layout."""

    def __init__(self, report: Report) -> None:
        import docx
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Cm, Mm, Pt

        self.r = report
        self.doc = docx.Document()
        self.Cm, self.Mm, self.Pt = Cm, Mm, Pt
        self.align = WD_ALIGN_PARAGRAPH
        self.table_align = WD_TABLE_ALIGNMENT
        self.el, self.qn = OxmlElement, qn
        self._rpr: dict[tuple[int, bool, bool], Any] = {}

    # ------------------------------------------------------------------ basics
    def run(self, p: Any, s: str, size: int = BODY, bold: bool = False, italic: bool = False) -> Any:
        """A run with explicit font, size, bold and italic (a copy of one run properties element per
        combination: python-docx's setters cost ~1 ms a run, too much for a 700-row table)."""
        key = (size, bold, italic)
        rpr = self._rpr.get(key)
        if rpr is None:
            scratch = p.add_run()
            f = scratch.font
            f.name, f.size, f.bold, f.italic = FONT, self.Pt(size), bold, italic
            rfonts = scratch._r.get_or_add_rPr().get_or_add_rFonts()
            for attr in ("w:eastAsia", "w:cs"):
                rfonts.set(self.qn(attr), FONT)
            rpr = self._rpr[key] = copy.deepcopy(scratch._r.rPr)
            p._p.remove(scratch._r)
        run = p.add_run(s)
        run._r.insert(0, copy.deepcopy(rpr))
        return run

    def para(self, container: Any, s: str = "", *, size: int = BODY, align: str = "center", **kw: Any) -> Any:
        p = container.add_paragraph()
        pf = p.paragraph_format
        pf.alignment = getattr(self.align, align.upper())
        pf.space_before, pf.space_after = self.Pt(kw.pop("before", 0)), self.Pt(kw.pop("after", 0))
        pf.line_spacing = 1.0
        if s:
            self.run(p, s, size, **kw)
        return p

    def rule(self, container: Any, width_cm: float, column_cm: float) -> Any:
        """A centred horizontal rule of ``width_cm``: an empty paragraph with a top border between indents."""
        p = self.para(container, size=2)
        pf = p.paragraph_format
        side = max((column_cm - 0.4 - width_cm) / 2, 0)
        pf.left_indent = pf.right_indent = self.Cm(side)
        pf.line_spacing = self.Pt(2)
        ppr = p._p.get_or_add_pPr()
        border = self.el("w:pBdr")
        top = self.el("w:top")
        for k, v in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "000000")):
            top.set(self.qn(f"w:{k}"), v)
        border.append(top)
        _insert(ppr, border, _PPR_ORDER)
        return p

    def borderless(self, table: Any) -> None:
        tbl_pr = table._tbl.tblPr
        borders = self.el("w:tblBorders")
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            e = self.el(f"w:{side}")
            e.set(self.qn("w:val"), "nil")
            borders.append(e)
        _insert(tbl_pr, borders, _TBLPR_ORDER)

    def cell_margins(self, table: Any, cm: float) -> None:
        margins = self.el("w:tblCellMar")
        for side in ("left", "right"):
            e = self.el(f"w:{side}")
            e.set(self.qn("w:w"), str(int(cm * 567)))
            e.set(self.qn("w:type"), "dxa")
            margins.append(e)
        _insert(table._tbl.tblPr, margins, _TBLPR_ORDER)

    def widths(self, table: Any, cm: list[float]) -> None:
        table.autofit = False
        for col, w in zip(table.columns, cm, strict=True):
            col.width = self.Cm(w)
        for row in table.rows:
            for cell, w in zip(row.cells, cm, strict=True):
                cell.width = self.Cm(w)

    # ------------------------------------------------------------------ page
    def page(self) -> None:
        from docx.enum.section import WD_ORIENT

        s = self.doc.sections[0]
        s.orientation = WD_ORIENT.PORTRAIT
        s.page_width, s.page_height = self.Mm(PAGE_W), self.Mm(PAGE_H)
        s.top_margin, s.bottom_margin = self.Mm(MARGIN_TOP), self.Mm(MARGIN_BOTTOM)
        s.left_margin, s.right_margin = self.Mm(MARGIN_LEFT), self.Mm(MARGIN_RIGHT)
        s.header_distance = self.Mm(10)
        s.different_first_page_header_footer = True  # no number on page 1
        s.first_page_header.is_linked_to_previous = False  # an explicit, empty first-page header
        p = s.header.paragraphs[0]
        p.paragraph_format.alignment = self.align.CENTER
        self.page_field(p)
        style = self.doc.styles["Normal"]
        style.font.name, style.font.size = FONT, self.Pt(BODY)
        rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:eastAsia", "w:cs"):
            rfonts.set(self.qn(attr), FONT)

    def page_field(self, p: Any) -> None:
        """``PAGE`` as a complex field (Word and LibreOffice both update it)."""
        for kind, instr in (
            ("begin", None),
            (None, " PAGE "),
            ("separate", None),
            (None, "2"),
            ("end", None),
        ):
            r = self.run(p, "", BODY)
            if kind:
                ch = self.el("w:fldChar")
                ch.set(self.qn("w:fldCharType"), kind)
                r._r.append(ch)
            elif instr == " PAGE ":
                it = self.el("w:instrText")
                it.set(self.qn("xml:space"), "preserve")
                it.text = instr
                r._r.append(it)
            else:
                r.text = instr or ""

    # ------------------------------------------------------------------ letterhead
    def letterhead(self) -> None:
        lh = self.r.definition.letterhead
        t = self.doc.add_table(rows=1, cols=2)
        t.alignment = self.table_align.CENTER
        self.borderless(t)
        self.widths(t, [LEFT_COL, RIGHT_COL])
        left, right = t.rows[0].cells
        left.paragraphs[0]._p.getparent().remove(left.paragraphs[0]._p)
        right.paragraphs[0]._p.getparent().remove(right.paragraphs[0]._p)
        if lh.parent:
            self.para(left, lh.parent.upper(), size=NAMES)
        self.para(left, lh.issuer.upper(), size=NAMES, bold=True)
        width = min(_text_width_cm(lh.issuer.upper(), NAMES, True), LEFT_COL - 0.4) * 0.4
        self.rule(left, max(width, 1.5), LEFT_COL)
        self.para(left, f"Số:        /{lh.symbol}", size=HEAD, before=4)
        self.para(right, MOTTO, size=NAMES, bold=True)
        self.para(right, SLOGAN, size=HEAD, bold=True)
        self.rule(right, _text_width_cm(SLOGAN, HEAD, True), RIGHT_COL)
        place = f"{lh.place}, " if lh.place else ""
        self.para(right, place + vn.decree_date(self.r.generated_at.date()), size=HEAD, italic=True, before=6)

    def title(self) -> None:
        d = self.r.definition
        self.para(self.doc, d.title.upper(), size=BODY, bold=True, before=18)
        self.para(self.doc, self.r.subject, size=BODY, bold=True)
        text_w = LEFT_COL + RIGHT_COL
        self.rule(self.doc, min(_text_width_cm(self.r.subject, BODY, True), text_w) * 0.4, text_w)
        addressee = d.letterhead.addressee
        if addressee:
            self.para(self.doc, f"Kính gửi: {addressee}.", size=BODY, before=6, after=6)

    # ------------------------------------------------------------------ body
    def body(self, s: str, kind: str = "body") -> Any:
        p = self.para(self.doc, align="justify", after=6)
        pf = p.paragraph_format
        pf.line_spacing = 1.15
        pf.first_line_indent = self.Cm(INDENT)
        pf.keep_with_next = kind in ("heading", "sub")
        self.run(p, s, BODY, bold=kind in ("heading", "sub"), italic=kind == "note")
        return p

    def paras(self, items: list[text.Para]) -> None:
        for item in items:
            self.body(item.text, item.kind)

    def caption(self, s: str) -> None:
        p = self.para(self.doc, s, size=BODY, bold=True, before=6, after=6)
        p.paragraph_format.keep_with_next = True

    def results_table(self) -> None:
        r = self.r
        headers = [h for h, _ in COLUMNS]
        for i, role in ((2, "models"), (3, "model_names"), (4, "funding")):
            headers[i] = r.labels.get(role, "")
        t = self.doc.add_table(rows=1, cols=len(COLUMNS))
        t.style = self.doc.styles["Table Grid"]
        t.alignment = self.table_align.CENTER
        self.cell_margins(t, CELL_MARGIN)
        self.widths(t, [w for _, w in COLUMNS])  # before the rows: add_row copies the column widths
        for cell, h in zip(t.rows[0].cells, headers, strict=True):
            self.cell(cell, h, bold=True)
        header = t.rows[0]._tr.get_or_add_trPr()
        header.append(self.el("w:tblHeader"))  # repeated on every page
        for e in r.entries:
            self.entry_row(t, e)
        self.totals_row(t)

    def cell(
        self, cell: Any, s: str, *, align: str = "center", bold: bool = False, italic: bool = False
    ) -> None:
        p = cell.paragraphs[0]
        p.paragraph_format.alignment = getattr(self.align, align.upper())
        self.run(p, s, TABLE, bold=bold, italic=italic)

    def row(self, t: Any) -> list[Any]:
        row = t.add_row()
        row._tr.get_or_add_trPr().append(self.el("w:cantSplit"))  # a row never breaks across pages
        return list(row.cells)

    def entry_row(self, t: Any, e: Entry) -> None:
        cells = self.row(t)
        self.cell(cells[0], str(e.no))
        self.cell(cells[1], e.unit.name, align="left")
        models, names, funding = e.value("models"), e.value("model_names"), e.value("funding")
        self.cell(
            cells[2], vn.number(models) if models is not None else text.NOT_GIVEN, italic=models is None
        )
        has_names = isinstance(names, str) and bool(names.strip())
        self.cell(
            cells[3], names.strip() if has_names else text.NOT_GIVEN, align="left", italic=not has_names
        )
        money = vn.number(funding) if funding is not None else text.NOT_GIVEN
        self.cell(cells[4], money, align="right" if funding is not None else "center", italic=funding is None)
        self.cell(cells[5], vn.day(e.latest_at) + (" (muộn)" if e.late else ""))
        self.cell(cells[6], str(e.version))

    def totals_row(self, t: Any) -> None:
        tot = self.r.totals
        cells = self.row(t)
        merged = cells[0].merge(cells[1])
        self.cell(merged, f"Tổng cộng ({len(self.r.entries)} đơn vị)", bold=True)
        self.cell(cells[2], vn.number(tot.models), bold=True)
        self.cell(cells[4], vn.number(tot.funding), align="right", bold=True)

    def chart(self) -> None:
        from bot.report.chart import units_by_category

        png = units_by_category(self.r.categories)
        p = self.para(self.doc, before=6)
        p.paragraph_format.keep_with_next = True
        p.add_run().add_picture(io.BytesIO(png), width=self.Cm(15))
        self.para(self.doc, text.chart_caption(self.r), size=BODY, italic=True, after=6)

    # ------------------------------------------------------------------ end
    def signature(self) -> None:
        lh = self.r.definition.letterhead
        t = self.doc.add_table(rows=1, cols=2)
        self.borderless(t)
        self.widths(t, [LEFT_COL + 1.0, RIGHT_COL - 1.0])
        t.rows[0]._tr.get_or_add_trPr().append(self.el("w:cantSplit"))  # the block stays on one page
        left, right = t.rows[0].cells
        for cell in (left, right):
            cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
        self.para(left, "Nơi nhận:", size=COPIES_HEAD, align="left", bold=True, italic=True, before=6)
        for i, c in enumerate(lh.copies):
            end = "." if i == len(lh.copies) - 1 else ";"
            self.para(left, f"- {c}{end}", size=COPIES, align="left")
        self.para(right, (lh.signer_title or "Thủ trưởng cơ quan").upper(), size=BODY, bold=True, before=6)
        self.para(right, "(Chữ ký của người có thẩm quyền, dấu của cơ quan)", size=HEAD, italic=True)
        for _ in range(3):
            self.para(right, " ", size=BODY)
        if lh.signer_name:
            self.para(right, lh.signer_name, size=BODY, bold=True)
        else:
            self.para(right, "Họ và tên", size=BODY, bold=True)

    def build(self) -> bytes:
        r = self.r
        self.page()
        self.letterhead()
        self.title()
        self.body(text.opening(r))
        self.paras(text.general(r))
        self.paras(text.results_summary(r))
        self.caption(text.table_caption(r))
        self.results_table()
        self.chart()
        self.paras(text.result_texts(r))
        self.paras(text.section(r, "III", "difficulties"))
        self.paras(text.section(r, "IV", "proposals"))
        self.body(text.closing(r))
        self.signature()
        first = self.doc.paragraphs[0]
        if not first.text and first._p.getnext() is not None:  # the template's empty first paragraph
            first._p.getparent().remove(first._p)
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def render_docx(report: Report) -> bytes:
    return Writer(report).build()
