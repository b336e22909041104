"""Render a :class:`~devtools.synth.truth.Truth` as a report file in many formats.

Every renderer goes through one document model (title, meta line, headings, paragraphs and
tables as grids with rowspan/colspan, domain.md §2.3/§2.4) so the wording is the same everywhere:

- ``txt_concat``: scraped text, label + cells concatenated with no separator (Anshan sample);
  options: the whole report twice (second copy without page chrome), or the one-line archive
  form of the 平潭 page.txt files (header lines, then the body on ONE line, single spaces
  between some cells, leaf numbering glued to the previous digits);
- ``txt_lines``: one cell per line, blank lines between;
- ``txt_tabs`` / ``txt_spaces`` / ``txt_pipes``: one table row per line;
- ``html`` (UTF-8, ``<meta charset>``) and ``html_gbk`` (GBK bytes, declared or not): real tables,
  page chrome, zeros written as 0 / blank / ``&nbsp;`` / ``-`` / ``—``, optionally a blank 总计
  column on the outcome rows (the parser must derive it);
- ``docx``: WordprocessingML tables with gridSpan/vMerge merges (package skeleton from python-docx);
- ``pdf``: reportlab, STSong-Light CID font, text layer with table rows as label + space-separated cells.
- the shapes from the wild (``html_word``, ``txt_units``, ``html_stamped``, ``md``, ``pdf_word``): ``wild.py``.

Pure Python; no dagster import. Rendering is deterministic given the ``rng`` state.
"""

from __future__ import annotations

import html as _html
import io
import random
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache

from dagster_project.lib.parsing.template import (
    C6,
    C7,
    COLUMN_LABEL,
    OUTCOME_PARENT_LABEL,
    PROCEEDINGS,
    RESULTS,
    T2_BLOCKS,
    T3_ROWS,
)
from devtools.synth.truth import Truth

# the wild formats (Word HTML, units, crawler stamps, Markdown, Word-laid PDF) are rendered in wild.py
FORMATS = ("txt_concat", "txt_lines", "txt_tabs", "txt_spaces", "txt_pipes", "html", "html_gbk", "docx", "pdf",
           "html_word", "txt_units", "html_stamped", "md", "pdf_word")
EXTENSION = {
    "txt_concat": ".txt", "txt_lines": ".txt", "txt_tabs": ".txt", "txt_spaces": ".txt", "txt_pipes": ".txt",
    "html": ".html", "html_gbk": ".htm", "docx": ".docx", "pdf": ".pdf",
    "html_word": ".htm", "txt_units": ".txt", "html_stamped": ".html", "md": ".md", "pdf_word": ".pdf",
}
TEXT_FORMATS = tuple(f for f in FORMATS if f.startswith("txt_"))
RUN_TOGETHER = ("txt_concat", "txt_units")  # cells printed with nothing between them

_FULLWIDTH = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "："})


# ---------------------------------------------------------------- document model
@dataclass
class Cell:
    """One table cell as printed; ``kind`` is label | header | value."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    kind: str = "value"


@dataclass
class Table:
    """A printed table: rows of cells in source order (cells covered by a span are omitted)."""

    ncols: int
    rows: list[list[Cell]]


@dataclass
class Block:
    """One document element: title | meta | heading | para | table | sign."""

    kind: str
    text: str = ""
    table: Table | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Style:
    """Per-document rendering choices."""

    fullwidth: bool = True  # （一） vs (一) punctuation in labels and headings
    zero: str = "0"  # how zeros print in table cells: 0 | blank | nbsp | dash | emdash | mixed
    blank_outcome_totals: bool = False  # Shanghai 2019: 总计 blank on the outcome rows
    title_year_word: str = "年"  # "年" or "年度"
    yuan_suffix: bool = True  # 采购总金额 printed as "251000元"
    plus_sign: bool = True  # positive 本年增/减 printed as "+12"
    quirks: frozenset[str] = frozenset()  # real-world deviations, see QUIRKS


# Deviations seen in real reports (domain.md §4.2/§4.3); none changes a value. Per format, the ones
# that make sense there (thousands separators only where cells are delimited, ...).
QUIRKS: dict[str, str] = {
    "fullwidth_digits": "some cells in full-width digits (１２８)",
    "thousands": "values >= 1000 with thousands separators (1,234)",
    "typos": "label typos: 只计这一情况, 属于三类内容事务信息",
    "header_breaks": "header words broken by a line break or space (商业\\n企业, 科研 机构)",
    "label_notes": "annotations in table 二 header labels (现行有效件数（历史累计）, 处理决定数量（指2020年办件量）)",
    "footnote": "a 注： line under tables 三 and 四",
    "split_outcome_label": "三、本年度办理结果 printed as two rowspan cells (平潭 2019)",
    "word_html": "Word-exported HTML: MsoNormal spans, &nbsp; padding around numbers",
}
QUIRKS_BY_FORMAT: dict[str, tuple[str, ...]] = {
    "txt_concat": ("fullwidth_digits", "typos", "label_notes", "footnote", "split_outcome_label"),
    "txt_lines": ("fullwidth_digits", "typos", "header_breaks", "label_notes", "footnote", "split_outcome_label"),
    "txt_tabs": ("fullwidth_digits", "thousands", "typos", "header_breaks", "label_notes", "footnote",
                 "split_outcome_label"),
    "txt_spaces": ("fullwidth_digits", "typos", "header_breaks", "label_notes", "footnote", "split_outcome_label"),
    "txt_pipes": ("fullwidth_digits", "thousands", "typos", "header_breaks", "label_notes", "footnote",
                  "split_outcome_label"),
    "html": tuple(QUIRKS),
    "html_gbk": tuple(QUIRKS),
    "docx": ("fullwidth_digits", "thousands", "typos", "header_breaks", "label_notes", "footnote",
             "split_outcome_label"),
    "pdf": ("typos", "label_notes", "footnote", "split_outcome_label"),
    "html_word": ("fullwidth_digits", "typos", "header_breaks", "label_notes", "footnote", "split_outcome_label"),
    "txt_units": ("fullwidth_digits", "typos", "label_notes", "footnote", "split_outcome_label"),
    "html_stamped": ("fullwidth_digits", "typos", "header_breaks", "label_notes", "footnote", "split_outcome_label"),
    "md": ("fullwidth_digits", "typos", "header_breaks", "label_notes", "footnote", "split_outcome_label"),
    "pdf_word": ("typos", "label_notes", "footnote", "split_outcome_label"),
}
_FW_DIGITS = str.maketrans("0123456789.", "０１２３４５６７８９．")
_TYPOS = (("只计这一情形", "只计这一情况"), ("属于三类内部事务信息", "属于三类内容事务信息"))
_LABEL_NOTES = {"现行有效件数": "现行有效件数（历史累计）", "处理决定数量": "处理决定数量（指{year}年办件量）",
                "上一年项目数量": "上一年项目数量（指{prev}年事项数）", "本年处理决定数量": "本年处理决定数量（{year}年办件量）"}
_BREAKS = {"商业企业": "商业\n企业", "科研机构": "科研\n机构", "社会公益组织": "社会\n公益组织",
           "法律服务机构": "法律服务\n机构", "法人或其他组织": "法人或其\n他组织", "结果维持": "结果\n维持",
           "未经复议直接起诉": "未经复议\n直接起诉", "申请人情况": "申请人\n情况"}


def _p(text: str, style: Style) -> str:
    """Template labels are stored NFKC (ASCII punctuation); print them full-width unless asked not to."""
    return text.translate(_FULLWIDTH) if style.fullwidth else text


def fmt_number(v: int | float) -> str:
    """Canonical decimal text of a value (no exponent, no trailing zeros)."""
    if isinstance(v, int):
        return str(v)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6f}".rstrip("0").rstrip(".")


def _zero_text(style: Style, rng: random.Random, *, allow_symbols: bool = True) -> str:
    z = style.zero
    if z == "mixed":
        z = rng.choice(("0", "0", "blank", "nbsp", "dash", "emdash") if allow_symbols else ("0", "blank", "nbsp"))
    if not allow_symbols and z in ("dash", "emdash"):
        z = "blank"
    return {"0": "0", "blank": "", "nbsp": "\u00a0", "dash": "-", "emdash": "—"}[z]


def _value_texts(values: list[int | float], style: Style, rng: random.Random, allow_symbols: bool = True) -> list[str]:
    """Texts of a table's numeric cells; a table whose values are all zero prints its zeros as 0
    (an all-blank table means 'absent', domain.md X.S9)."""
    if style.zero == "0" or not any(values):
        return [fmt_number(v) for v in values]
    return [fmt_number(v) if v else _zero_text(style, rng, allow_symbols=allow_symbols) for v in values]


def _decorate(texts: list[str], style: Style, rng: random.Random) -> list[str]:
    """Apply the number quirks (thousands separators, full-width digits) to printed values."""
    if not style.quirks & {"thousands", "fullwidth_digits"}:
        return texts
    out = []
    for t in texts:
        m = re.fullmatch(r"([+-]?)(\d+)(\.\d+)?(元?)", t)
        if m and "thousands" in style.quirks and len(m.group(2)) > 3:
            t = f"{m.group(1)}{int(m.group(2)):,}{m.group(3) or ''}{m.group(4)}"
        if m and "fullwidth_digits" in style.quirks and rng.random() < 0.3:
            t = t.translate(_FW_DIGITS)
        out.append(t)
    return out


def _t2_value_text(key: str, v: int | float, style: Style) -> str:
    if key.endswith("__items_change") and v > 0 and style.plus_sign:
        return f"+{v}"
    if key.endswith("__procurement_amount_cny"):
        text = fmt_number(v)
        if isinstance(v, float) and "." in text and len(text.split(".")[1]) == 1:
            text += "0"  # money prints with 2 decimals
        return text + ("元" if style.yuan_suffix and v else "")
    return fmt_number(v)


def build_t2(truth: Truth, style: Style, rng: random.Random) -> Table:
    """Table 二 as one 4-column grid: caption row, 信息内容 header row, item rows per block."""
    keys = list(truth.t2)
    texts = dict(zip(keys, _value_texts([truth.t2[k] for k in keys], style, rng, allow_symbols=False)))
    for k in keys:
        # a blank 规章 row means "not applicable" (NULL, domain.md T2.S5): print its zeros
        if texts[k] not in ("", "\u00a0") or k.startswith("rules__"):
            texts[k] = _t2_value_text(k, truth.t2[k], style)
    texts = dict(zip(keys, _decorate([texts[k] for k in keys], style, rng)))

    def measure_label(label: str) -> str:
        if "label_notes" in style.quirks and label in _LABEL_NOTES:
            label = _LABEL_NOTES[label].format(year=truth.report_year, prev=truth.report_year - 1)
        return _p(label, style)

    rows: list[list[Cell]] = []
    for block in T2_BLOCKS[truth.version]:
        n = len(block.measures)
        spans = [1] * (n - 1) + [3 - (n - 1)]  # last measure takes what is left of 3 value columns
        rows.append([Cell(_p(block.caption, style), colspan=4, kind="header")])
        rows.append([Cell("信息内容", kind="header")]
                    + [Cell(measure_label(m.label), colspan=s, kind="header") for m, s in zip(block.measures, spans)])
        for item in block.items:
            rows.append([Cell(item.label, kind="label")]
                        + [Cell(texts[f"{item.code}__{m.code}"], colspan=s) for m, s in zip(block.measures, spans)])
    return Table(4, rows)


def build_t3(truth: Truth, style: Style, rng: random.Random) -> Table:
    """Table 三 with the template's 3 header rows and rowspan/colspan stub (domain.md §2.3)."""
    v = truth.version
    rows_def = T3_ROWS[v]
    keys = [f"{r.code}__{c}" for r in rows_def for c in C7]
    texts = dict(zip(keys, _value_texts([truth.t3[k] for k in keys], style, rng)))
    # a blank total is derived by the parser (CONTRACT §3): a 0 total that disagrees with its parts
    # (an injected error) must print as 0, or the error would vanish
    t3 = truth.t3
    for r in rows_def:
        if t3[f"{r.code}__total"] == 0 and any(t3[f"{r.code}__{c}"] for c in C6):
            texts[f"{r.code}__total"] = "0"
    leaves = [r.code for r in rows_def if r.kind == "leaf"]
    for c in C7:
        if t3[f"outcome_total__{c}"] == 0 and any(t3[f"{r}__{c}"] for r in leaves):
            texts[f"outcome_total__{c}"] = "0"
    if style.blank_outcome_totals:
        for r in rows_def:
            if r.kind == "leaf" and truth.t3[f"{r.code}__total"] == sum(truth.t3[f"{r.code}__{c}"] for c in C6):
                texts[f"{r.code}__total"] = "" if rng.random() < 0.5 else "\u00a0"
    texts = dict(zip(keys, _decorate([texts[k] for k in keys], style, rng)))
    note = _p("(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)", style)
    grid: list[list[Cell]] = [
        [Cell(note, rowspan=3, colspan=3, kind="header"), Cell(_hb("申请人情况", style), colspan=7, kind="header")],
        [Cell(COLUMN_LABEL["natural_person"], rowspan=2, kind="header"),
         Cell(_hb("法人或其他组织", style), colspan=5, kind="header"), Cell("总计", rowspan=2, kind="header")],
        [Cell(_hb(COLUMN_LABEL[c], style), kind="header") for c in C6[1:]],
    ]
    outcome_rows = [r.code for r in rows_def if r.kind in ("leaf", "total")]
    # where 三、本年度办理结果 starts a rowspan: once, or twice (first 10 rows, then the rest)
    parent_starts = {outcome_rows[0]: len(outcome_rows)}
    if "split_outcome_label" in style.quirks:
        parent_starts = {outcome_rows[0]: 10, outcome_rows[10]: len(outcome_rows) - 10}
    seen_groups: set[str] = set()
    for r in rows_def:
        cells: list[Cell] = []
        label = _p(r.prefix + r.label, style)
        if "typos" in style.quirks:
            for right, wrong in _TYPOS:
                label = label.replace(right, wrong)
        if r.kind == "input":
            cells.append(Cell(label, colspan=3, kind="label"))
        else:
            if r.code in parent_starts:
                cells.append(Cell(_p(OUTCOME_PARENT_LABEL, style), rowspan=parent_starts[r.code], kind="label"))
            if r.group is None:
                cells.append(Cell(label, colspan=2, kind="label"))
            else:
                if r.group not in seen_groups:
                    seen_groups.add(r.group)
                    size = sum(1 for x in rows_def if x.group == r.group)
                    cells.append(Cell(_p(r.group, style), rowspan=size, kind="label"))
                cells.append(Cell(label, kind="label"))
        cells += [Cell(texts[f"{r.code}__{c}"]) for c in C7]
        grid.append(cells)
    return Table(10, grid)


def _hb(label: str, style: Style) -> str:
    """A header label, broken by a line break when the header_breaks quirk is on."""
    return _BREAKS.get(label, label) if "header_breaks" in style.quirks else label


def build_t4(truth: Truth, style: Style, rng: random.Random) -> Table:
    """Table 四: 3 header rows and one data row of 15 cells (domain.md §2.4)."""
    results = [lab for _, lab in RESULTS]
    values = [truth.t4[f"{p}__{r}"] for p, _ in PROCEEDINGS for r, _ in RESULTS]
    texts = _value_texts(values, style, rng)
    for i, (p, _) in enumerate(PROCEEDINGS):  # keep an inconsistent 0 total visible (see build_t3)
        if values[5 * i + 4] == 0 and any(values[5 * i:5 * i + 4]):
            texts[5 * i + 4] = "0"
    texts = _decorate(texts, style, rng)
    grid = [
        [Cell("行政复议", colspan=5, kind="header"), Cell("行政诉讼", colspan=10, kind="header")],
        [Cell(_hb(x, style), rowspan=2, kind="header") for x in results]
        + [Cell(_hb(PROCEEDINGS[1][1], style), colspan=5, kind="header"),
           Cell(PROCEEDINGS[2][1], colspan=5, kind="header")],
        [Cell(_hb(x, style), kind="header") for x in results * 2],
        [Cell(t) for t in texts],
    ]
    return Table(15, grid)


_OVERVIEW = (
    "{year}年，{short}深入贯彻落实《中华人民共和国政府信息公开条例》（以下简称《条例》），坚持以公开为常态、不公开为例外，"
    "围绕中心工作推进政务公开，不断提升政府工作透明度。",
    "全年通过政府门户网站主动公开各类政府信息{n_info}条，发布政策解读{n_interp}篇，召开新闻发布会{n_press}场。",
    "进一步健全依申请公开工作机制，规范受理、登记、办理、答复等环节，全年共受理政府信息公开申请{received}件，"
    "均在法定期限内予以答复。",
    "加强政府信息管理，对现行有效的规范性文件进行清理，及时更新政府信息公开指南和目录。",
    "持续加强政府网站和政务新媒体建设管理，开展网站自查{n_check}次，确保平台规范运行。",
    "将政务公开工作纳入年度绩效考核，组织开展业务培训{n_train}次，强化监督保障。",
)
_PROBLEMS = (
    "存在的主要问题：一是政务公开工作的主动性还需进一步增强；二是政策解读的形式还不够丰富；"
    "三是信息公开队伍的专业化水平有待提升。",
    "改进措施：一是加强组织领导，压实工作责任；二是丰富解读形式，提高解读质量；三是加强业务培训，提升工作水平。",
)


def build_document(truth: Truth, style: Style, rng: random.Random) -> list[Block]:
    """The report as blocks: title, meta, preamble, six sections with tables, sign-off."""
    y = truth.report_year
    short = "本机关" if rng.random() < 0.5 else "我单位"
    received = truth.t3["received_new__total"]
    sec = [
        "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        rng.choice(("五、存在的主要问题及改进情况", "五、政府信息公开工作存在的主要问题及改进情况")),
        "六、其他需要报告的事项",
    ]
    subs = ("（一）主动公开", "（二）依申请公开", "（三）政府信息管理", "（四）平台建设", "（五）监督保障")
    nums = dict(year=y, short=short, received=received, n_info=rng.randint(20, 9000), n_interp=rng.randint(0, 80),
                n_press=rng.randint(0, 30), n_check=rng.randint(1, 24), n_train=rng.randint(1, 10))
    doc = [
        Block("title", f"{truth.agency_name}{y}{style.title_year_word}政府信息公开工作年度报告"),
        Block("meta", fields={"信息来源": truth.agency_name, "发布时间": truth.publish_date}),
        Block("para", _p("根据《中华人民共和国政府信息公开条例》(以下简称《条例》)规定编制本报告。", style)
              + f"报告数据统计期限为{y}年1月1日至{y}年12月31日。"),
        Block("heading", sec[0]),
    ]
    doc.append(Block("para", _OVERVIEW[0].format(**nums)))
    for sub, para in zip(subs, _OVERVIEW[1:]):
        if rng.random() < 0.7 or "{received}" in para:
            doc.append(Block("heading", _p(sub, style)))
            doc.append(Block("para", para.format(**nums)))
    doc += [Block("heading", sec[1]), Block("table", table=build_t2(truth, style, rng)),
            Block("heading", sec[2]), Block("table", table=build_t3(truth, style, rng))]
    if "footnote" in style.quirks:
        doc.append(Block("para", f"注：本表统计时间为{y}年1月1日至{y}年12月31日，单位：件。"))
    doc += [Block("heading", sec[3]), Block("table", table=build_t4(truth, style, rng))]
    if "footnote" in style.quirks:
        doc.append(Block("para", "注：“其他结果”含驳回起诉、撤回申请等情形。"))
    doc.append(Block("heading", sec[4]))
    doc += [Block("para", t) for t in _PROBLEMS]
    doc.append(Block("heading", sec[5]))
    fee = ("（一）{y}年未收取信息处理费。" if rng.random() < 0.8 else "（一）{y}年收取信息处理费共计{n}元。")
    doc.append(Block("para", fee.format(y=y, n=rng.randint(100, 5000))))
    doc.append(Block("sign", fields={"agency": truth.agency_name, "date": truth.signed_date}))
    return doc


def random_style(rng: random.Random, fmt: str, quirk_rate: float = 0.15) -> Style:
    """Rendering choices drawn per document; symbols and blanks only where cells are delimited.
    Each quirk allowed for ``fmt`` is switched on with probability ``quirk_rate``."""
    delimited = fmt in ("html", "html_gbk", "docx", "html_word", "html_stamped")
    zero = "0"
    if delimited and rng.random() < 0.4:
        zero = rng.choice(("blank", "nbsp", "dash", "emdash", "mixed"))
    return Style(
        fullwidth=rng.random() < 0.75 if fmt == "txt_concat" else rng.random() < 0.9,
        zero=zero,
        blank_outcome_totals=delimited and rng.random() < 0.15,
        title_year_word=rng.choice(("年", "年", "年度")),
        yuan_suffix=rng.random() < 0.7,
        plus_sign=rng.random() < 0.5,
        quirks=frozenset(q for q in QUIRKS_BY_FORMAT[fmt] if rng.random() < quirk_rate),
    )


# ---------------------------------------------------------------- text renderers
def _row_texts(row: list[Cell], br: str = " ") -> list[str]:
    """Cell texts of a row; a line break inside a cell (header_breaks quirk) becomes ``br``."""
    return [c.text.replace("\n", br) for c in row]


def _text_body(doc: list[Block], table_row, *, chrome: bool, para_sep: str = "\n\n", row_sep: str = "\n") -> str:
    """Shared plain-text layout: one element per line, tables via ``table_row(row) -> str``."""
    out: list[str] = []
    for b in doc:
        if b.kind == "title":
            out.append(b.text)
        elif b.kind == "meta":
            line = f"信息来源:{b.fields['信息来源']} 发布时间:{b.fields['发布时间']}"
            if chrome:
                line += " 浏览次数: 【打印内容】 【关闭窗口】"
            out.append(line)
        elif b.kind in ("heading", "para"):
            out.append(b.text)
        elif b.kind == "table":
            assert b.table is not None
            out.append(row_sep.join(table_row(r) for r in b.table.rows))
        elif b.kind == "sign":
            out.append(f"\n\n{b.fields['agency']}\n\n{b.fields['date']}\n")
    return para_sep.join(out) + "\n"


def _concat_row(row: list[Cell]) -> str:
    return "".join(_row_texts(row))


def render_txt_concat(doc: list[Block], rng: random.Random, *, twice: bool | None = None,
                      one_line: bool | None = None) -> str:
    """Anshan-style scraped text (optionally twice), or the 平潭 one-line archive form."""
    if one_line is None:
        one_line = rng.random() < 0.3
    if one_line:
        return _render_one_line(doc, rng)
    if twice is None:
        twice = rng.random() < 0.3
    text = _text_body(doc, _concat_row, chrome=True)
    if twice:
        text += "\n\n" + _text_body([b for b in doc if b.kind != "sign"], _concat_row, chrome=False)
    return text


def _render_one_line(doc: list[Block], rng: random.Random) -> str:
    """平潭 archive page.txt: 8 header lines, a 正文 rule, then the whole body on ONE line."""
    title = next(b.text for b in doc if b.kind == "title")
    meta = next(b for b in doc if b.kind == "meta")
    date = meta.fields["发布时间"]
    ym = date[:7].replace("-", "")
    nid = rng.randint(10000, 99999)
    head = [
        f"标题: {title}",
        f"发布时间: {date} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}",
        "文号: ",
        f"发布机构: {meta.fields['信息来源'] if rng.random() < 0.5 else ''}",
        "栏目: 政府信息公开年报",
        f"原文链接: https://www.example.gov.cn/zwgk/zfxxgk/zfxxgknb/{ym}/t{date.replace('-', '')}_{nid}.htm",
        f"本地目录: zwgk/zfxxgk/zfxxgknb/{ym}/{nid}_{title}",
        "页面链接与图片详见 links.tsv(同目录)",
        "==================== 正文 ====================",
    ]
    parts: list[str] = []
    for b in doc:
        if b.kind in ("title", "heading", "para"):
            parts.append(b.text)
        elif b.kind == "table":
            assert b.table is not None
            for row in b.table.rows:
                for c in row:
                    parts.append(c.text.replace("\n", " "))
                    if c.kind == "value" and rng.random() < 0.15:
                        parts.append(" ")  # &nbsp; padding collapsed to one space
        elif b.kind == "sign":
            parts.append(" " + b.fields["agency"] + " " + b.fields["date"])
        if b.kind in ("table", "para") and rng.random() < 0.3:
            parts.append(" ")
    body = re.sub(r"\s+", " ", "".join(parts).replace("\u00a0", " ")).strip()
    return "\n".join(head) + "\n" + body + "\n"


def render_txt_lines(doc: list[Block]) -> str:
    """One cell per line with blank lines between (太平镇 2022 style)."""
    return _text_body(doc, lambda row: "\n\n".join(_row_texts(row, "\n\n")), chrome=True, row_sep="\n\n")


def render_txt_sep(doc: list[Block], sep: str) -> str:
    """One table row per line, cells joined by ``sep`` (tab or spaces)."""
    return _text_body(doc, lambda row: sep.join(_row_texts(row)), chrome=True, para_sep="\n")


def render_txt_pipes(doc: list[Block]) -> str:
    """Markdown-style pipe tables; a colspan cell is followed by empty pipes."""
    def conv(table: Table) -> str:
        lines = []
        for i, row in enumerate(table.rows):
            cells: list[str] = []
            for c in row:
                cells.append(c.text.replace("\n", " "))
                cells += [""] * (c.colspan - 1)
            lines.append("| " + " | ".join(cells) + " |")
            if i == 0:
                lines.append("|" + "---|" * len(cells))
        return "\n".join(lines)

    out: list[str] = []
    for b in doc:
        if b.kind == "table":
            assert b.table is not None
            out.append(conv(b.table))
        elif b.kind == "meta":
            out.append(f"发布时间：{b.fields['发布时间']}  信息来源：{b.fields['信息来源']}")
        elif b.kind == "title":
            out.append("# " + b.text)
        elif b.kind == "sign":
            out.append(f"{b.fields['agency']}\n\n{b.fields['date']}")
        else:
            out.append(b.text)
    return "\n\n".join(out) + "\n"


# ---------------------------------------------------------------- HTML
_MENUS = ("首页", "政务公开", "政务服务", "互动交流", "走进本地", "专题专栏")


def _html_cell(c: Cell, rng: random.Random, wrap_p: bool, word: bool = False) -> str:
    attrs = ""
    if c.rowspan > 1:
        attrs += f' rowspan="{c.rowspan}"'
    if c.colspan > 1:
        attrs += f' colspan="{c.colspan}"'
    text = "&nbsp;" if c.text == "\u00a0" else _html.escape(c.text).replace("\n", "<br />")
    if word:  # Word export: MsoNormal paragraphs, mso styles, &nbsp; padding around numbers
        if c.kind == "value" and text and rng.random() < 0.3:
            text = rng.choice(("&nbsp;", "&nbsp;&nbsp;", "")) + text + rng.choice(("", "&nbsp;"))
        return (f"<td width={rng.randint(40, 90)} valign=top style='width:{rng.randint(30, 70)}.0pt;border:solid windowtext "
                f"1.0pt;mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt'{attrs}>"
                f"<p class=MsoNormal align=center style='text-align:center'><span lang=EN-US "
                f"style='font-size:10.5pt;font-family:仿宋_GB2312;mso-bidi-font-family:宋体'>{text}<o:p></o:p></span></p></td>")
    if wrap_p:
        text = f'<p align="center"><span style="font-size:12px">{text}</span></p>'
    return f"<td{attrs}>{text}</td>"


def render_html_text(doc: list[Block], rng: random.Random, charset: str | None, word: bool = False) -> str:
    """A full portal page with the report in ``<div class="TRS_Editor">``."""
    title = next(b.text for b in doc if b.kind == "title")
    wrap_p = rng.random() < 0.5
    head_meta = ""
    if charset == "utf-8":
        head_meta = '<meta charset="utf-8">'
    elif charset:
        head_meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    menu = "".join(f'<li><a href="/m{i}/">{m}</a></li>' for i, m in enumerate(_MENUS))
    out = [
        "<!DOCTYPE html>\n<html>\n<head>", head_meta, f"<title>{_html.escape(title)}</title>",
        '<script type="text/javascript">var _hmt = _hmt || []; function printPage(){window.print();}</script>',
        "</head>\n<body>",
        f'<div class="header"><ul class="nav">{menu}</ul></div>',
        '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
        '<a href="/zwgk/ndbg/">政府信息公开年报</a></div>',
        '<div class="article">',
    ]
    for b in doc:
        if b.kind == "title":
            out.append(f'<h1 class="title">{_html.escape(b.text)}</h1>')
        elif b.kind == "meta":
            out.append(
                f'<div class="info"><span>信息来源：{_html.escape(b.fields["信息来源"])}</span> '
                f'<span>发布时间：{b.fields["发布时间"]}</span> <span>浏览次数：{rng.randint(10, 9999)}</span> '
                '<a href="javascript:printPage()">【打印】</a> <a href="javascript:window.close()">【关闭】</a></div>'
                '<div class="TRS_Editor">'
            )
        elif b.kind == "heading":
            out.append(f"<p><strong>{_html.escape(b.text)}</strong></p>")
        elif b.kind == "para":
            out.append(f'<p style="text-indent:2em">{_html.escape(b.text)}</p>')
        elif b.kind == "table":
            assert b.table is not None
            rows = "".join("<tr>" + "".join(_html_cell(c, rng, wrap_p, word) for c in row) + "</tr>\n"
                           for row in b.table.rows)
            if word:
                out.append("<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 style='border-collapse:"
                           f"collapse;border:none;mso-yfti-tbllook:1184'><tbody>\n{rows}</tbody></table>")
            else:
                out.append('<table border="1" cellspacing="0" cellpadding="0" width="100%"><tbody>\n'
                           f'{rows}</tbody></table>')
        elif b.kind == "sign":
            out.append(f'<p style="text-align:right">{_html.escape(b.fields["agency"])}</p>'
                       f'<p style="text-align:right">{b.fields["date"]}</p></div>')
    out += [
        "</div>",
        '<div class="related"><h3>相关链接</h3><ul><li><a href="/a/1.html">政府信息公开指南</a></li>'
        '<li><a href="/a/2.html">政府信息公开制度</a></li></ul></div>',
        f'<div class="footer"><p>主办单位：{_html.escape(next(b.fields["信息来源"] for b in doc if b.kind == "meta"))}'
        f'</p><p>网站标识码：{rng.randint(10**9, 10**10 - 1)} ICP备案号：辽ICP备{rng.randint(10**7, 10**8 - 1)}号</p></div>',
        "</body>\n</html>\n",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------- DOCX
@lru_cache(maxsize=1)
def _docx_skeleton() -> dict[str, bytes]:
    """The parts of python-docx's default package (everything but word/document.xml)."""
    import docx  # python-docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return {n: z.read(n) for n in z.namelist()}


_W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _x(text: str) -> str:
    return _html.escape(text, quote=False)


def _w_par(text: str, *, bold: bool = False, center: bool = False, right: bool = False) -> str:
    ppr = ""
    if center or right:
        ppr = f'<w:pPr><w:jc w:val="{"center" if center else "right"}"/></w:pPr>'
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    if not text:
        return f"<w:p>{ppr}</w:p>"
    return f'<w:p>{ppr}<w:r>{rpr}<w:t xml:space="preserve">{_x(text)}</w:t></w:r></w:p>'


def _w_table(table: Table) -> str:
    """A w:tbl with gridSpan for colspans and vMerge restart/continue for rowspans."""
    n = table.ncols
    # place cells on the grid: occupied[(r, c)] = (cell, is_origin)
    pending: dict[tuple[int, int], Cell] = {}  # continuation slots of vertical merges
    rows_xml = []
    for r, row in enumerate(table.rows):
        cells = iter(row)
        col = 0
        tcs = []
        while col < n:
            if (r, col) in pending:
                cont = pending.pop((r, col))
                span = f'<w:gridSpan w:val="{cont.colspan}"/>' if cont.colspan > 1 else ""
                tcs.append(f"<w:tc><w:tcPr>{span}<w:vMerge/></w:tcPr><w:p/></w:tc>")
                col += cont.colspan
                continue
            c = next(cells, None)
            if c is None:
                break
            pr = ""
            if c.colspan > 1:
                pr += f'<w:gridSpan w:val="{c.colspan}"/>'
            if c.rowspan > 1:
                pr += '<w:vMerge w:val="restart"/>'
                for k in range(1, c.rowspan):
                    pending[(r + k, col)] = c
            text = c.text.replace("\u00a0", " ")
            par = _w_par(text, center=c.kind != "label")
            if "\n" in text:  # a line break inside the cell (header_breaks quirk)
                par = par.replace("\n", '</w:t><w:br/><w:t xml:space="preserve">')
            tcs.append(f"<w:tc><w:tcPr>{pr}</w:tcPr>{par}</w:tc>")
            col += c.colspan
        rows_xml.append("<w:tr>" + "".join(tcs) + "</w:tr>")
    grid = "".join('<w:gridCol w:w="600"/>' for _ in range(n))
    borders = "".join(f'<w:{s} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                      for s in ("top", "left", "bottom", "right", "insideH", "insideV"))
    return (f'<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:tblBorders>{borders}</w:tblBorders></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>{''.join(rows_xml)}</w:tbl>")


def render_docx(doc: list[Block], rng: random.Random) -> bytes:
    """A .docx whose document.xml holds the report (title, 发布日期 line, sections, merged tables)."""
    body: list[str] = []
    for b in doc:
        if b.kind == "title":
            body.append(_w_par(b.text, bold=True, center=True))
        elif b.kind == "meta":
            word = rng.choice(("发布时间", "发布日期"))
            body.append(_w_par(f"{word}：{b.fields['发布时间']}", center=True))
        elif b.kind == "heading":
            body.append(_w_par(b.text, bold=True))
        elif b.kind == "para":
            body.append(_w_par(b.text))
        elif b.kind == "table":
            assert b.table is not None
            body.append(_w_table(b.table))
            body.append(_w_par(""))
        elif b.kind == "sign":
            body.append(_w_par(b.fields["agency"], right=True))
            body.append(_w_par(b.fields["date"], right=True))
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {_W_NS}><w:body>'
           + "".join(body)
           + '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1200" w:bottom="1440" '
             'w:left="1200" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>')
    parts = dict(_docx_skeleton())
    parts["word/document.xml"] = xml.encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


# ---------------------------------------------------------------- PDF
_PDF_FONT = "STSong-Light"


@lru_cache(maxsize=1)
def _pdf_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(_PDF_FONT))
    return _PDF_FONT


def _wrap(text: str, width: int) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


def render_pdf(doc: list[Block], rng: random.Random) -> bytes:
    """A text-layer PDF: lines drawn with drawString; table rows as label + space-separated cells."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = _pdf_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=0)
    c.setTitle(next(b.text for b in doc if b.kind == "title"))
    width, height = A4
    left, top, bottom = 50.0, height - 60.0, 60.0
    maxw = width - 2 * left
    y = top
    page = 1

    def line(text: str, size: float = 10.5, center: bool = False) -> None:
        nonlocal y, page
        if y < bottom:
            c.setFont(font, 9)
            c.drawCentredString(width / 2, 30, f"- {page} -")
            c.showPage()
            page += 1
            y = top
        c.setFont(font, size)
        if center:
            c.drawCentredString(width / 2, y, text)
        else:
            c.drawString(left, y, text)
        y -= size * 1.6

    for b in doc:
        if b.kind == "title":
            size = min(15.0, maxw / max(1, len(b.text)))  # one line, shrunk to fit
            line(b.text, size, center=True)
        elif b.kind == "meta":
            line(f"发布时间：{b.fields['发布时间']}", 10.5, center=True)
        elif b.kind == "heading":
            line(b.text, 12)
        elif b.kind == "para":
            for part in _wrap(b.text, 44):
                line(part)
        elif b.kind == "table":
            assert b.table is not None
            for row in b.table.rows:
                texts = [cell.text.replace("\u00a0", " ").replace("\n", "").strip() for cell in row]
                s = " ".join(t for t in texts if t)
                if stringWidth(s, font, 9) <= maxw:
                    line(s, 9)
                else:  # too wide: labels on their own line(s), then the cells
                    for t, cell in zip(texts, row):
                        if cell.kind != "value" and t:
                            line(t, 9)
                    line(" ".join(t for t, cell in zip(texts, row) if cell.kind == "value" and t), 9)
        elif b.kind == "sign":
            y -= 10
            line(b.fields["agency"])
            line(b.fields["date"])
    c.setFont(font, 9)
    c.drawCentredString(width / 2, 30, f"- {page} -")
    c.showPage()
    c.save()
    return buf.getvalue()


# ---------------------------------------------------------------- entry point
def render(truth: Truth, fmt: str, rng: random.Random, *, style: Style | None = None,
           **options) -> tuple[bytes, str]:
    """Render ``truth`` as ``fmt`` (one of :data:`FORMATS`); returns (file bytes, file name).

    ``style`` overrides the per-document random choices; ``options`` go to the format's renderer
    (``twice=``/``one_line=`` for txt_concat, ``charset=`` for html_gbk: None = undeclared).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    style = style or random_style(rng, fmt)
    doc = build_document(truth, style, rng)
    name = f"{truth.agency_name}{truth.report_year}年政府信息公开工作年度报告{EXTENSION[fmt]}"
    if fmt == "txt_concat":
        data = render_txt_concat(doc, rng, **options).encode("utf-8")
    elif fmt == "txt_lines":
        data = render_txt_lines(doc).encode("utf-8")
    elif fmt == "txt_tabs":
        data = render_txt_sep(doc, "\t").encode("utf-8")
    elif fmt == "txt_spaces":
        data = render_txt_sep(doc, rng.choice((" ", "  ", "   "))).encode("utf-8")
    elif fmt == "txt_pipes":
        data = render_txt_pipes(doc).encode("utf-8")
    elif fmt == "html":
        data = render_html_text(doc, rng, "utf-8", "word_html" in style.quirks).encode("utf-8")
    elif fmt == "html_gbk":
        charset = options.get("charset", rng.choice(("gbk", "gb2312", "GB18030", None)))
        data = render_html_text(doc, rng, charset, "word_html" in style.quirks).encode("gb18030")
    elif fmt == "docx":
        data = render_docx(doc, rng)
    elif fmt == "pdf":
        data = render_pdf(doc, rng)
    else:
        from devtools.synth.wild import render_wild

        data = render_wild(fmt, doc, truth, rng)
    return data, name
