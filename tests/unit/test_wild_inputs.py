"""Reports as they are in the wild (issue 8): Word-exported HTML, units in scraped text, page fields beside
crawler stamps, Markdown from PDF-to-Markdown converters, PDFs laid out like a Word export, and two source
errors in one run-together table 四 row.

Property tests render generated reports in each of these shapes (devtools/synth/wild.py) and parse them back;
the regression tests pin the exact inputs that broke on real pages.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dagster_project.lib.parsing.api import parse_bytes
from dagster_project.lib.parsing.metadata import find_publish_date
from dagster_project.lib.parsing.readers import read_document
from dagster_project.lib.parsing.template import VERSIONS
from devtools.synth.accuracy import t4_two_error_verdict
from devtools.synth.case import make_case
from devtools.synth.compare import compare
from devtools.synth.wild import WILD_FORMATS

SEEDS = st.integers(min_value=0, max_value=2**31 - 1)
PROP = settings(max_examples=12, deadline=None, derandomize=True, phases=(Phase.explicit, Phase.generate),
                suppress_health_check=list(HealthCheck))


# ---------------------------------------------------------------- round trip, per wild format
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("fmt", WILD_FORMATS)
@PROP
@given(seed=SEEDS)
def test_wild_format_round_trips(fmt: str, version: str, seed: int) -> None:
    case = make_case(seed, fmt, version)
    got = parse_bytes(case.data, case.name)
    cmp = compare(got, case.truth)
    assert got["status"] == "ok", (case.repro(), got["status"], got.get("error"),
                                   [c for c in got["checks"] if c["severity"] == "error"][:3])
    assert cmp.ok, "\n".join([case.repro(), *cmp.mismatches[:10]])


@pytest.mark.parametrize("fmt", WILD_FORMATS)
@PROP
@given(seed=SEEDS)
def test_wild_format_keeps_an_injected_error(fmt: str, seed: int) -> None:
    """A one-cell source error survives every wild shape: the report is not ok, the error is located."""
    case = make_case(seed, fmt, inject=True)
    got = parse_bytes(case.data, case.name)
    assert got["status"] == "invariant_errors", case.repro()
    fired = {c["check_id"] for c in got["checks"] if c["severity"] == "error"}
    assert fired & case.injected.check_ids or fired & {"P.T3.SPLIT", "P.T4.SPLIT"}, (case.repro(), fired)


# ---------------------------------------------------------------- Word-exported HTML
WORD_T2 = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<meta http-equiv=Content-Type content="text/html; charset=utf-8"><meta name=Generator content="Microsoft Word 15">
<style><!-- p.MsoNormal {{mso-style-unhide:no;margin:0cm;font-size:10.5pt}} --></style></head>
<body lang=ZH-CN><div class=WordSection1>
<p class=MsoNormal align=center><b><span style='font-size:22.0pt'>某某县人民政府<span lang=EN-US>2023</span>年政府信息公开工作年度报告</span></b></p>
<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0>
<tr><td width=604 colspan=4><p class=MsoNormal align=center><span>第二十条第（一）项<span lang=EN-US><o:p></o:p></span></span></p></td></tr>
<tr><td width=151><p class=MsoNormal align=center><span>信息内容</span></p></td>
<td width=151><p class=MsoNormal align=center><span>本年制发</span><span>件数</span></p></td>
<td width=151><p class=MsoNormal align=center><span>本年废止件数</span></p></td>
<td width=151><p class=MsoNormal align=center><span>现行有效件数</span></p></td></tr>
<tr><td width=151><p class=MsoNormal><span>规</span><span lang=EN-US><span style='mso-spacerun:yes'>&nbsp;&nbsp;
</span></span><span>章</span><span lang=EN-US><o:p></o:p></span></p></td>
{rules}</tr>
<tr><td width=151><p class=MsoNormal><span>行政规范性</span><span>文件</span></p></td>{normative}</tr>
<![if !supportMisalignedColumns]><tr height=0><td width=151 style='border:none'></td><td width=151 style='border:none'></td>
<td width=151 style='border:none'></td><td width=151 style='border:none'></td></tr><![endif]>
</table></div></body></html>"""


def _word_cells(values) -> str:
    return "".join(f"<td width=151 valign=top><p class=MsoNormal align=center><span lang=EN-US>&nbsp;{v}<o:p></o:p>"
                   f"</span></p><p class=MsoNormal><![if !supportEmptyParas]>&nbsp;<![endif]><o:p></o:p></p></td>"
                   for v in values)


def test_word_html_rules_row_reads_its_cells():
    """规章 | 0 | 0 | 0 in MSO markup (label split over spans with mso-spacerun padding, empty paragraphs,
    the ghost row of column widths) reads as three zeros, not nulls with a false P.T2.SPLIT."""
    html = WORD_T2.format(rules=_word_cells([0, 0, 0]), normative=_word_cells([12, 3, 228]))
    got = parse_bytes(html.encode("utf-8"), "report.htm")
    assert got["t2"]["rules__issued"] == 0 and got["t2"]["rules__repealed"] == 0 and got["t2"]["rules__in_force"] == 0
    assert (got["t2"]["normative_docs__issued"], got["t2"]["normative_docs__repealed"],
            got["t2"]["normative_docs__in_force"]) == (12, 3, 228)
    assert not [c for c in got["checks"] if c["check_id"].startswith("P.")], got["checks"]
    assert got["agency_name"] == "某某县人民政府" and got["report_year"] == 2023


# ---------------------------------------------------------------- units in scraped text
def _t2_of(text: str) -> dict:
    case = make_case(7, "txt_concat", "gov2019", options={"one_line": False, "twice": False})
    body = case.data.decode("utf-8")
    start = body.index("政府集中采购")
    end = body.index("\n", start)
    return parse_bytes((body[:start] + text + body[end:]).encode("utf-8"), "x.txt")


@pytest.mark.parametrize("text,projects,amount", [
    ("政府集中采购1个246900元", 1, 246900),      # the real page: was 1246 / 900
    ("政府集中采购1个24.69万元", 1, 246900),     # 万元 converted to 元, not concatenated
    ("政府集中采购12项3000000元", 12, 3000000),
    ("政府集中采购0个0元", 0, 0),
])
def test_units_are_cell_boundaries_and_convert(text, projects, amount):
    got = _t2_of(text)
    assert got["t2"]["central_procurement__procurement_projects"] == projects
    assert got["t2"]["central_procurement__procurement_amount_cny"] == amount
    assert "t2.central_procurement" not in got["ambiguous"]


def test_fee_in_yuan_converts_to_wan():
    case = make_case(5, "txt_lines", "gov2021")
    body = case.data.decode("utf-8")
    start = body.index("行政事业性收费")
    end = body.index("三、收到和处理", start)
    got = parse_bytes((body[:start] + "行政事业性收费\n\n125000元\n\n" + body[end:]).encode("utf-8"), "x.txt")
    assert got["t2"]["admin_fees__fee_amount_10k_cny"] == 12.5


# ---------------------------------------------------------------- page fields and crawler stamps
@pytest.mark.parametrize("lines,meta,want", [
    (["采集时间：2025-12-30T10:11:12+08:00", "| 索引号 | 1121/2024-00012 | 公开日期 | 2024-01-17 |"], {}, "2024-01-17"),
    (["抓取时间: 2025-12-30 10:11", "| 发布机构 | 某局 | 发布日期 | 2024-01-17 |", "| 成文日期 | 2024-01-15 |"], {},
     "2024-01-17"),
    (["保存时间：2026-01-02"], {"pubdate": "2024-01-17 09:30"}, "2024-01-17"),
    (["采集时间：2025-12-30T10:11:12", "| 成文日期 | 2024-01-15 |"], {}, "2024-01-15"),
    (["采集时间：2025-12-30T10:11:12", "抓取时间：2025-12-31", "保存时间：2026-01-01"], {}, None),
    (["发布时间：2024-01-17 09:00", "采集时间：2025-12-30"], {}, "2024-01-17"),
])
def test_page_date_is_never_a_crawler_stamp(lines, meta, want):
    assert find_publish_date(lines, meta) == want


# ---------------------------------------------------------------- Markdown from converters
MD_PER_ROW = """# 某某区2024年政府信息公开工作年度报告

## 三、收到和处理政府信息公开申请情况

{rows}

## 四、政府信息公开行政复议、行政诉讼情况
"""


def test_markdown_placeholder_headers_are_dropped():
    """表三 as one small table per row under | 类别 | 数据1 | … | 总计 | (a vision converter's output)."""
    head = "| 类别 | 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 总计 |\n|---|---|---|---|---|---|---|---|\n"
    text = MD_PER_ROW.format(rows="\n\n".join(head + f"| {label} | 705 | 3 | 0 | 0 | 5 | 0 | 713 |"
                                              for label in ("本年新收政府信息公开申请数量", "（七）总计")))
    doc = read_document(text.encode("utf-8"), "report.md")
    assert not any("数据1" in ln or set(ln) <= set("|-: ") for ln in doc.lines if ln)
    assert "| 本年新收政府信息公开申请数量 | 705 | 3 | 0 | 0 | 5 | 0 | 713 |" in doc.lines
    assert "| （七）总计 | 705 | 3 | 0 | 0 | 5 | 0 | 713 |" in doc.lines or "| (七)总计 | 705 | 3 | 0 | 0 | 5 | 0 | 713 |" in doc.lines


def test_markdown_with_html_tables_reads_the_markup():
    """MinerU writes tables as HTML inside the Markdown: attributes (rowspan="3") are not cell text."""
    case = make_case(11, "html", "gov2021")
    from lxml import html as lhtml

    tables = lhtml.fromstring(case.data.decode("utf-8")).findall(".//table")
    md = "# " + case.truth.agency_name + f"{case.truth.report_year}年政府信息公开工作年度报告\n\n"
    md += "\n\n".join(lhtml.tostring(t, encoding="unicode") for t in tables)
    got = parse_bytes(md.encode("utf-8"), "report.md")
    assert got["t3"] == case.truth.t3 and got["t4"] == case.truth.t4


# ---------------------------------------------------------------- two source errors in one table 四 row
@pytest.mark.parametrize("fmt", ["txt_concat", "txt_units"])
def test_two_errors_in_one_t4_row_are_never_read_silently(fmt):
    """Two changed cells in one run-together table 四 row: every block is read as printed, or left null with a
    P.T4.SPLIT error, or t4 is listed in ``ambiguous`` with the printed reading (or "unread") among the
    candidates — never a clean-looking wrong reading; and the report is never ok."""
    verdicts = {}
    for seed in range(120):
        verdict, got = t4_two_error_verdict(seed, fmt)
        assert got["status"] == "invariant_errors", seed
        assert verdict != "silently_wrong", (seed, got["t4"], got["ambiguous"].get("t4", [])[:3])
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    assert verdicts.get("right", 0) > 60, verdicts  # most rows still read exactly as printed
