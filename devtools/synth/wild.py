"""Renderers for inputs as they come from real portals and tools (issue 8), on the same document model.

- ``html_word``: a Word "Save as Web Page" export: MSO namespaces and conditional comments, ``<style>`` with
  mso definitions, every cell a ``<p class=MsoNormal>`` of several ``<span>`` runs (labels and numbers split
  across runs, digits of one number in two runs), ``<o:p></o:p>``, ``&nbsp;`` padding and ``mso-spacerun``
  spans, full-width spaces spreading short labels (``规　　章``), ``width=`` attributes, the
  ``supportMisalignedColumns`` row of empty cells, empty ``<o:p>&nbsp;</o:p>`` paragraphs;
- ``txt_units``: scraped text (cells run together) with units printed after the numbers: 个/项/件/条 after
  counts, 元 or 万元 after the procurement amount (``政府集中采购1个246900元``, ``…2个24.69万元``);
- ``html_stamped``: a portal page with its own fields table (索引号 · 发布机构 · 公开日期/发布日期/成文日期),
  ``<meta name="PubDate">`` and a crawler's stamps (采集时间/抓取时间/保存时间, ISO timestamps a year later);
- ``md``: Markdown as PDF-to-Markdown converters write it: ``#`` headings, pipe tables with a ``---`` rule,
  table 三 cut into one small table per row under generic headers (``| 类别 | 数据1 | … | 数据6 | 总计 |``),
  or tables as embedded HTML (MinerU style), OCR-ish spaces inside labels;
- ``pdf_word``: a PDF laid out like a Word export: a ruled grid, every cell drawn at its own position, long
  labels wrapped inside their cell (several lines), numbers centred vertically and horizontally.

Pure Python; no dagster import. Deterministic given the ``rng`` state.
"""

from __future__ import annotations

import html as _html
import io
import random
from decimal import Decimal

from dagster_project.lib.parsing.template import T2_BLOCKS
from devtools.synth.render import Block, Cell, Table, fmt_number

WILD_FORMATS = ("html_word", "txt_units", "html_stamped", "md", "pdf_word")


# ---------------------------------------------------------------- Word "Save as Web Page"
_WORD_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml"
xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word"
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml"
xmlns="http://www.w3.org/TR/REC-html40">

<head>
<meta http-equiv=Content-Type content="text/html; charset={charset}">
<meta name=ProgId content=Word.Document>
<meta name=Generator content="Microsoft Word 15">
<meta name=Originator content="Microsoft Word 15">
<link rel=File-List href="{stem}.files/filelist.xml">
<title>{title}</title>
<!--[if gte mso 9]><xml>
 <o:DocumentProperties>
  <o:Author>Administrator</o:Author>
  <o:LastAuthor>user</o:LastAuthor>
  <o:Revision>{rev}</o:Revision>
  <o:Created>{created}T02:13:00Z</o:Created>
  <o:Pages>{pages}</o:Pages>
  <o:Words>{words}</o:Words>
 </o:DocumentProperties>
</xml><![endif]-->
<!--[if gte mso 9]><xml>
 <w:WordDocument>
  <w:SpellingState>Clean</w:SpellingState>
  <w:DrawingGridVerticalSpacing>7.8 磅</w:DrawingGridVerticalSpacing>
 </w:WordDocument>
</xml><![endif]-->
<style>
<!--
 /* Font Definitions */
 @font-face
	{{font-family:宋体;
	panose-1:2 1 6 0 3 1 1 1 1 1;
	mso-font-charset:134;}}
 @font-face
	{{font-family:仿宋_GB2312;
	mso-font-charset:134;}}
 /* Style Definitions */
 p.MsoNormal, li.MsoNormal, div.MsoNormal
	{{mso-style-unhide:no;
	margin:0cm;
	text-align:justify;
	font-size:10.5pt;
	font-family:"Calibri",sans-serif;}}
@page WordSection1
	{{size:595.3pt 841.9pt;
	margin:72.0pt 90.0pt 72.0pt 90.0pt;}}
div.WordSection1
	{{page:WordSection1;}}
-->
</style>
</head>

<body lang=ZH-CN style='tab-interval:21.0pt;text-justify-trim:punctuation'>

<div class=WordSection1 style='layout-grid:15.6pt'>
"""

_FONTS = ("仿宋_GB2312", "宋体", "仿宋", "黑体")


def _runs(text: str, rng: random.Random, *, value: bool = False) -> str:
    """Text as Word writes it: cut into ``<span>`` runs at random points (ASCII runs tagged lang=EN-US)."""
    if not text:
        return ""
    cuts = sorted({rng.randrange(1, len(text)) for _ in range(rng.randint(0, 2))} if len(text) > 1 else set())
    parts, last = [], 0
    for cut in [*cuts, len(text)]:
        parts.append(text[last:cut])
        last = cut
    out = []
    font = rng.choice(_FONTS)
    for p in parts:
        esc = _html.escape(p)
        if p.isascii():
            out.append(f"<span lang=EN-US style='font-size:10.5pt;font-family:{font};mso-bidi-font-family:宋体'>{esc}</span>")
        else:
            out.append(f"<span style='font-size:10.5pt;font-family:{font};mso-ascii-font-family:宋体'>{esc}</span>")
    if value and rng.random() < 0.3:  # padding Word keeps around a number typed with spaces
        out.insert(0, "<span lang=EN-US><span style='mso-spacerun:yes'>&nbsp; </span></span>")
    return "".join(out)


def _spread(label: str, rng: random.Random) -> str:
    """A short label spread over its cell with full-width spaces (规　　章), as typists align them."""
    if 2 <= len(label) <= 3 and label.isalpha() and rng.random() < 0.5:
        return ("\u3000" * rng.randint(1, 2)).join(label)
    return label


def _word_cell(c: Cell, rng: random.Random) -> str:
    attrs = f" width={rng.randint(40, 160)}"
    if c.rowspan > 1:
        attrs += f" rowspan={c.rowspan}"
    if c.colspan > 1:
        attrs += f" colspan={c.colspan}"
    style = ("style='width:{w}.0pt;border:solid windowtext 1.0pt;border-top:none;mso-border-alt:solid windowtext "
             ".5pt;padding:0cm 5.4pt 0cm 5.4pt;height:{h}.0pt'").format(w=rng.randint(30, 120), h=rng.randint(14, 30))
    paras = []
    lines = c.text.split("\n") if c.text not in ("", "\u00a0") else []
    if c.kind == "label" and len(lines) == 1:
        lines = [_spread(lines[0], rng)]
    for ln in lines:
        align = " align=center style='text-align:center;mso-pagination:widow-orphan'" if c.kind != "label" else ""
        body = _runs(ln, rng, value=c.kind == "value")
        paras.append(f"<p class=MsoNormal{align}>{body}<span lang=EN-US><o:p></o:p></span></p>")
    if not paras:  # an empty cell: Word still writes an empty paragraph (older exports: a downlevel conditional)
        paras.append(rng.choice(("<p class=MsoNormal align=center style='text-align:center'><span lang=EN-US><o:p>"
                                 "&nbsp;</o:p></span></p>",
                                 "<p class=MsoNormal align=center style='text-align:center'><![if !supportEmptyParas]>"
                                 "&nbsp;<![endif]><o:p></o:p></p>")))
    elif c.kind == "label" and rng.random() < 0.1:
        paras.append("<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>")
    return f"  <td{attrs} valign=top {style}>\n  " + "\n  ".join(paras) + "\n  </td>\n"


def _word_table(t: Table, rng: random.Random) -> str:
    out = [f"<div align=center>\n<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width={rng.randint(550, 620)} "
           "style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;"
           "mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>\n"]
    for i, row in enumerate(t.rows):
        first = ";mso-yfti-firstrow:yes" if i == 0 else ""
        out.append(f" <tr style='mso-yfti-irow:{i}{first};height:{rng.randint(14, 30)}.0pt'>\n")
        out.extend(_word_cell(c, rng) for c in row)
        out.append(" </tr>\n")
    # Word's ghost row of column widths, in a downlevel-revealed conditional
    out.append(" <![if !supportMisalignedColumns]>\n <tr height=0>\n")
    out.extend(f"  <td width={rng.randint(20, 90)} style='border:none'></td>\n" for _ in range(t.ncols))
    out.append(" </tr>\n <![endif]>\n</table>\n</div>\n")
    return "".join(out)


def _word_para(text: str, rng: random.Random, *, center: bool = False, bold: bool = False,
               size: float = 16.0) -> str:
    align = " align=center style='text-align:center'" if center else " style='text-indent:32.0pt'"
    body = _runs(text, rng)
    if bold and text[:2] in ("一、", "二、", "三、", "四、", "五、", "六、") and rng.random() < 0.5:
        # a heading numbered by a Word list: the number is in a supportLists conditional
        body = (f"<![if !supportLists]><span style='font-family:黑体'>{text[:2]}<span style='font:7.0pt "
                f"\"Times New Roman\"'>&nbsp;&nbsp; </span></span><![endif]>{_runs(text[2:], rng)}")
    if bold:
        body = f"<b>{body}</b>"
    return (f"<p class=MsoNormal{align}><span style='font-size:{size}pt;font-family:仿宋_GB2312'>{body}"
            f"<span lang=EN-US><o:p></o:p></span></span></p>\n")


def render_html_word(doc: list[Block], rng: random.Random) -> bytes:
    """A portal page whose article is a Word "Save as Web Page" export pasted into the CMS (MSO head, styles
    and conditional comments kept), GB2312/GBK or UTF-8 bytes. The page's 发布时间 field is in its chrome."""
    title = next(b.text for b in doc if b.kind == "title")
    meta = next(b for b in doc if b.kind == "meta")
    charset = rng.choice(("gb2312", "utf-8", "gbk"))
    out = [_WORD_HEAD.format(charset=charset, stem="report", title=_html.escape(title), rev=rng.randint(2, 40),
                             created=meta.fields["发布时间"], pages=rng.randint(3, 9), words=rng.randint(1500, 6000))]
    for b in doc:
        if b.kind == "title":
            out.append(_word_para(b.text, rng, center=True, bold=True, size=22.0))
        elif b.kind == "meta":
            out.append(f"<div class=info><span>来源：{_html.escape(b.fields['信息来源'])}</span>&nbsp;&nbsp;"
                       f"<span>发布时间：{b.fields['发布时间']}</span>&nbsp;&nbsp;<span>字号：[大 中 小]</span></div>\n")
            out.append("<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>\n")
        elif b.kind == "heading":
            out.append(_word_para(b.text, rng, bold=True))
        elif b.kind == "para":
            out.append(_word_para(b.text, rng))
        elif b.kind == "table":
            assert b.table is not None
            out.append(_word_table(b.table, rng))
            out.append("<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>\n")
        elif b.kind == "sign":
            out.append(f"<p class=MsoNormal align=right style='text-align:right'>{_runs(b.fields['agency'], rng)}</p>\n")
            out.append(f"<p class=MsoNormal align=right style='text-align:right'>{_runs(b.fields['date'], rng)}</p>\n")
    out.append("\n</div>\n\n</body>\n\n</html>\n")
    text = "".join(out)
    return text.encode("gb18030" if charset != "utf-8" else "utf-8")


# ---------------------------------------------------------------- units in scraped text
def _money_text(v: float | int, rng: random.Random) -> str:
    """An amount in 元 printed as 元 or converted to 万元 (exactly: 4 decimals at most)."""
    if rng.random() < 0.5 and v:
        wan = Decimal(str(v)) / 10000
        text = format(wan.normalize(), "f")
        return f"{text}万元"
    return f"{fmt_number(v)}元"


def _fee_text(v: float | int, rng: random.Random) -> str:
    """A fee in 万元 printed bare, as 万元, or converted to 元 (exact)."""
    r = rng.random()
    if r < 0.3 or not v:
        return fmt_number(v)
    if r < 0.7:
        return f"{fmt_number(v)}万元"
    yuan = Decimal(str(v)) * 10000
    return f"{format(yuan.normalize(), 'f')}元"


def _unit_table_t2(truth, rng: random.Random) -> Table:
    """Table 二 with a unit after every count (个/项/件/条) and 元/万元 after amounts."""
    rows: list[list[Cell]] = []
    count_unit = rng.choice(("件", "个", "项", "条"))
    for block in T2_BLOCKS[truth.version]:
        rows.append([Cell(block.caption, kind="header")])
        rows.append([Cell("信息内容", kind="header")] + [Cell(m.label, kind="header") for m in block.measures])
        for item in block.items:
            cells = [Cell(item.label, kind="label")]
            for m in block.measures:
                v = truth.t2[f"{item.code}__{m.code}"]
                if m.kind == "money":
                    text = _money_text(v, rng)
                elif m.kind == "decimal":
                    text = _fee_text(v, rng)
                elif m.kind == "signed":
                    text = (f"+{v}" if v > 0 else fmt_number(v)) + rng.choice(("项", "个", ""))
                else:
                    unit = "个" if m.code in ("procurement_projects", "items_prev_year") else count_unit
                    text = f"{fmt_number(v)}{unit}"
                cells.append(Cell(text))
            rows.append(cells)
    return Table(4, rows)


def render_txt_units(doc: list[Block], truth, rng: random.Random) -> bytes:
    """Scraped text, cells run together, with units after the numbers (Shanghai-style 元, 个, 件)."""
    from devtools.synth.render import _concat_row, _text_body

    tables = [b for b in doc if b.kind == "table"]
    t3_units = rng.random() < 0.5  # some reports print 件 after every table 三/四 count too
    out: list[Block] = []
    for b in doc:
        if b.kind == "table" and b is tables[0]:
            out.append(Block("table", table=_unit_table_t2(truth, rng)))
        elif b.kind == "table" and t3_units:
            rows = [[Cell(c.text + "件", c.rowspan, c.colspan, c.kind) if c.kind == "value" and c.text.strip()
                     else c for c in row] for row in b.table.rows]
            out.append(Block("table", table=Table(b.table.ncols, rows)))
        else:
            out.append(b)
    text = _text_body(out, _concat_row, chrome=True)
    if rng.random() < 0.5:  # a crawler's header above the scraped text
        text = f"{rng.choice(('采集时间', '抓取时间', '保存时间'))}：{_stamp(truth, rng)}\n{text}"
    return text.encode("utf-8")


# ---------------------------------------------------------------- page fields and crawler stamps
def _stamp(truth, rng: random.Random) -> str:
    """A crawler's timestamp, a year or so after the report was published."""
    year = truth.report_year + rng.randint(2, 3)
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:" \
           f"{rng.randint(0, 59):02d}" + rng.choice(("", "+08:00", ".123Z"))


def _written_date(truth) -> str:
    """The 成文日期 (the sign-off date) as an ISO date."""
    import re

    y, m, d = map(int, re.findall(r"\d+", truth.signed_date))
    return f"{y}-{m:02d}-{d:02d}"


def render_html_stamped(doc: list[Block], truth, rng: random.Random) -> bytes:
    """A 政府信息公开 portal page saved by a crawler: stamps of the crawl at the top, the page's own fields table
    (公开日期/发布日期 and 成文日期) or a PubDate <meta>, then the article."""
    from devtools.synth.render import render_html_text

    pub = truth.publish_date
    pub_label = rng.choice(("公开日期", "发布日期", "发布时间"))
    use_table = rng.random() < 0.7
    use_meta = not use_table or rng.random() < 0.5
    stamps = [f"{w}：{_stamp(truth, rng)}" for w in rng.sample(("采集时间", "抓取时间", "保存时间"), rng.randint(1, 2))]
    top = ('<div class="crawl-info" style="color:#999">' + " ".join(f"<span>{x}</span>" for x in stamps)
           + f" <span>来源URL：http://www.example.gov.cn/zwgk/{rng.randint(10**5, 10**6)}.html</span></div>")
    fields = ""
    if use_table:
        cells = [("索引号", f"{rng.randint(10**9, 10**10)}/{truth.report_year + 1}-{rng.randint(1, 999):05d}"),
                 ("主题分类", "政务公开"), ("发布机构", truth.agency_name), (pub_label, pub or ""),
                 ("文号", ""), ("成文日期", _written_date(truth))]
        rng.shuffle(cells[3:])
        rows = ["<tr>" + "".join(f"<td class=lab>{a}</td><td>{_html.escape(b)}</td>" for a, b in cells[i:i + 2])
                + "</tr>" for i in range(0, len(cells), 2)]
        fields = '<table class="xxgk-info" width="100%">' + "".join(rows) + "</table>"
    # the article without its own 发布时间 line: the page's fields carry the date
    body_doc = [b for b in doc if b.kind != "meta"]
    body_doc.insert(1, Block("meta", fields={"信息来源": truth.agency_name, "发布时间": ""}))
    page = render_html_text(body_doc, rng, "utf-8")
    page = page.replace("<span>发布时间：</span>", "")
    # a truth without a publish date (a re-render of a format that carries none) gets empty date fields
    head_extra = (f'<meta name="PubDate" content="{pub} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}">'
                  if use_meta and pub else "")
    if rng.random() < 0.5:
        head_extra += f'<meta name="crawl_time" content="{_stamp(truth, rng)}">'
    page = page.replace("</head>", head_extra + "</head>", 1)
    page = page.replace('<div class="article">', top + fields + '<div class="article">', 1)
    return page.encode("utf-8")


# ---------------------------------------------------------------- Markdown from PDF-to-Markdown converters
def _md_pipe(rows: list[list[str]]) -> str:
    """A pipe table: the first row is the header, then the ``---`` rule."""
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(["---"] * len(rows[0])) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out)


def _md_grid(t: Table) -> list[list[str]]:
    """A table flattened to rows of strings, a colspan cell followed by empty cells (merged cells lost)."""
    rows = []
    for row in t.rows:
        cells: list[str] = []
        for c in row:
            cells.append(c.text.replace("\n", "<br>").replace("\u00a0", " ").strip())  # converters keep breaks
            cells += [""] * (c.colspan - 1)
        rows.append(cells)
    return rows


def _md_html_table(t: Table) -> str:
    """MinerU-style: the table as HTML inside the Markdown, merges kept as rowspan/colspan."""
    out = ["<table>"]
    for row in t.rows:
        out.append("<tr>" + "".join(
            "<td" + (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (f' colspan="{c.colspan}"' if c.colspan > 1 else "")
            + ">" + _html.escape(c.text.replace("\n", "").replace("\u00a0", " ").strip()) + "</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _md_t3_per_row(truth, rng: random.Random) -> str:
    """Table 三 cut into one small table per row under generic headers, as vision converters do."""
    from dagster_project.lib.parsing.template import C7, T3_ROWS

    head = ["类别", *(f"数据{i}" for i in range(1, 7)), "总计"]
    if rng.random() < 0.5:
        head = ["项目", *(f"列{i}" for i in range(1, 7)), "合计"]
    parts = []
    seen: set[str] = set()
    keep_prefix = rng.random() < 0.5
    for r in T3_ROWS[truth.version]:
        label = (r.prefix if keep_prefix else "") + r.label
        if r.group and r.group not in seen and rng.random() < 0.5:
            label = f"{r.group} {label}"
        if r.group:
            seen.add(r.group)
        vals = [fmt_number(truth.t3[f"{r.code}__{c}"]) for c in C7]
        parts.append(_md_pipe([head, [label, *vals]]))
    return "\n\n".join(parts)


def render_md(doc: list[Block], truth, rng: random.Random) -> bytes:
    """Markdown as a PDF-to-Markdown converter writes it (see the module docstring)."""
    mode = rng.choice(("pipe", "per_row", "html"))
    tables = [b for b in doc if b.kind == "table"]
    out: list[str] = []
    for b in doc:
        if b.kind == "title":
            out.append("# " + b.text)
        elif b.kind == "meta":
            out.append(f"发布时间：{b.fields['发布时间']}")
        elif b.kind == "heading":
            if b.text[:2] in ("一、", "二、", "三、", "四、", "五、", "六、"):
                out.append("## " + b.text)
            else:
                out.append(f"**{b.text}**" if rng.random() < 0.5 else "### " + b.text)
        elif b.kind == "para":
            out.append(b.text)
        elif b.kind == "table":
            assert b.table is not None
            if mode == "html":
                out.append(_md_html_table(b.table))
            elif mode == "per_row" and b is tables[1]:
                out.append(_md_t3_per_row(truth, rng))
            else:
                out.append(_md_pipe(_md_grid(b.table)))
        elif b.kind == "sign":
            out.append(f"{b.fields['agency']}\n\n{b.fields['date']}")
    return ("\n\n".join(out) + "\n").encode("utf-8")


# ---------------------------------------------------------------- PDF laid out like a Word export
# grid column widths (points) per table width in columns: labels wide, values narrow
_PDF_COLS = {4: (150, 115, 115, 115), 10: (38, 62, 95, 45, 45, 45, 45, 45, 45, 45), 15: (33,) * 15}


def _wrap_to(text: str, width: float, size: float, font: str) -> list[str]:
    """Greedy character wrap of ``text`` to ``width`` points (Chinese text wraps anywhere)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, cur = [], ""
    for ch in text:
        if cur and stringWidth(cur + ch, font, size) > width:
            lines.append(cur)
            cur = ""
        cur += ch
    if cur:
        lines.append(cur)
    return lines or [""]


def render_pdf_word(doc: list[Block], rng: random.Random) -> bytes:
    """A text-layer PDF as Word exports it: ruled tables, each cell's text at its own place, long labels wrapped
    inside their cells, numbers centred; no page fields (a Word export carries no publish date)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from devtools.synth.render import _pdf_font

    font = _pdf_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=0)
    width, height = A4
    left, top, bottom = 50.0, height - 60.0, 60.0
    y = top
    page = 1

    def new_page() -> None:
        nonlocal y, page
        c.setFont(font, 9)
        c.drawCentredString(width / 2, 30, f"— {page} —")
        c.showPage()
        page += 1
        y = top

    def para(text: str, size: float = 10.5, center: bool = False, indent: float = 21.0) -> None:
        nonlocal y
        for i, ln in enumerate(_wrap_to(text, width - 2 * left - (0 if center else indent), size, font)):
            if y < bottom:
                new_page()
            c.setFont(font, size)
            if center:
                c.drawCentredString(width / 2, y, ln)
            else:
                c.drawString(left + (indent if i == 0 else 0), y, ln)
            y -= size * 1.7

    def table(t: Table) -> None:
        nonlocal y
        widths = _PDF_COLS[t.ncols]
        xs = [left]
        for w in widths:
            xs.append(xs[-1] + w)
        size, lead = 8.0, 10.0
        # place cells on the grid (rowspan/colspan) and wrap their text; rows are as tall as their wrapped cells
        taken: set[tuple[int, int]] = set()
        by_row: list[list[tuple]] = [[] for _ in t.rows]
        for r, row in enumerate(t.rows):
            col = 0
            for cell in row:
                while (r, col) in taken:
                    col += 1
                w = xs[col + cell.colspan] - xs[col] - 4
                text = cell.text.replace("\n", "").replace("\u00a0", " ").strip()
                lines = _wrap_to(text, w, size, font) if text else []
                by_row[r].append((col, cell.rowspan, cell.colspan, lines, cell.kind))
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        taken.add((r + dr, col + dc))
                col += cell.colspan
        heights = [lead + 6.0] * len(t.rows)
        for r, cells in enumerate(by_row):
            for col, rs, cs, lines, kind in cells:
                if rs == 1:
                    heights[r] = max(heights[r], len(lines) * lead + 6)
        # Word draws row by row, cell by cell: the border, then the cell's lines, centred in the cell
        def draw_row(r: int, last: int) -> None:
            nonlocal y
            for col, rs, cs, lines, kind in by_row[r]:
                span_h, yy = 0.0, y
                for k in range(r, min(last, r + rs)):  # the spanned rows that fit on this page
                    if yy - heights[k] < bottom:
                        break
                    span_h += heights[k]
                    yy -= heights[k]
                span_h = max(span_h, heights[r])
                x0, x1 = xs[col], xs[col + cs]
                c.setLineWidth(0.5)
                c.rect(x0, y - span_h, x1 - x0, span_h)
                c.setFont(font, size)
                first = y - span_h / 2 + len(lines) * lead / 2 - lead + 2
                for i, ln in enumerate(lines):
                    if kind == "label":
                        c.drawString(x0 + 2, first - i * lead, ln)
                    else:
                        c.drawCentredString((x0 + x1) / 2, first - i * lead, ln)
            y -= heights[r]

        # Word's "repeat header rows": a table broken by a page starts again with its header rows
        header_rows = 0
        while header_rows < len(t.rows) and all(cell.kind == "header" for cell in t.rows[header_rows]):
            header_rows += 1
        repeat = header_rows if t.ncols > 4 and rng.random() < 0.7 else 0
        for r in range(len(by_row)):
            if y - heights[r] < bottom:
                new_page()
                if r >= repeat:
                    for h in range(repeat):
                        draw_row(h, repeat)
            draw_row(r, len(by_row))
        y -= 8

    # the canvas draws on the current page only: lay out tables page by page
    for b in doc:
        if b.kind == "title":
            para(b.text, 16, center=True)
        elif b.kind == "meta":
            continue
        elif b.kind == "heading":
            para(b.text, 12, indent=0)
        elif b.kind == "para":
            para(b.text)
        elif b.kind == "table":
            assert b.table is not None
            table(b.table)
        elif b.kind == "sign":
            y -= 10
            for t in (b.fields["agency"], b.fields["date"]):
                if y < bottom:
                    new_page()
                c.setFont(font, 10.5)
                c.drawRightString(width - left, y, t)
                y -= 18
    c.setFont(font, 9)
    c.drawCentredString(width / 2, 30, f"— {page} —")
    c.showPage()
    c.save()
    return buf.getvalue()


# ---------------------------------------------------------------- entry point
def render_wild(fmt: str, doc: list[Block], truth, rng: random.Random) -> bytes:
    """Bytes of ``doc`` in one of :data:`WILD_FORMATS`."""
    if fmt == "html_word":
        return render_html_word(doc, rng)
    if fmt == "txt_units":
        return render_txt_units(doc, truth, rng)
    if fmt == "html_stamped":
        return render_html_stamped(doc, truth, rng)
    if fmt == "md":
        return render_md(doc, truth, rng)
    if fmt == "pdf_word":
        return render_pdf_word(doc, rng)
    raise ValueError(f"unknown wild format {fmt!r}")
