"""Deviations real inputs show (domain.md §4.2–4.3): typos, dropped characters, broken labels,
full-width digits, fewer columns, blank tables, bad files."""

from __future__ import annotations

import json

import pytest

from dagster_project.lib.parsing.api import parse_bytes
from dagster_project.lib.parsing.template import T3_ROWS


@pytest.fixture
def anshan(real_reports_dir):
    d = real_reports_dir / "anshan-2023"
    return (d / "page.txt").read_text(encoding="utf-8"), json.loads((d / "expected.json").read_text(encoding="utf-8"))


VARIANTS = {
    "typo_partial": [("只计这一情形", "只计这一情况")],
    "typo_internal_affairs": [("属于三类内部事务信息", "属于三类内容事务信息")],
    "dropped_char_item": [("行政许可0", "政许可0")],
    "dropped_header_chars": [("本年废止件数", "年废止件数"), ("第二十条第(一)项", "第二十条第()")],
    "line_breaks_in_labels": [("(三)不予公开", "(三)\n\n不予公开"), ("商业企业", "商业\n\n企业")],
    "fullwidth_digits": [("12070100128", "１２０７０１００１２８")],
    "fullwidth_punctuation": [("(一)予以公开", "（一）予以公开")],
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_anshan_variants_read_the_same_numbers(anshan, name):
    text, expected = anshan
    for old, new in VARIANTS[name]:
        assert old in text
        text = text.replace(old, new)
    got = parse_bytes(text.encode("utf-8"), "anshan.txt")
    assert got["t3"] == {**got["t3"], **expected["t3"]}
    assert got["t4"] == expected["t4"]
    for key, want in expected["t2"].items():
        if not key.startswith("rules__"):  # the ambiguous part
            assert got["t2"][key] == want, key
    assert sorted(c["check_id"] for c in got["checks"] if c["severity"] == "error") == ["T3.H2", "T3.H3"]


def test_gbk_text_is_decoded(anshan):
    text, expected = anshan
    got = parse_bytes(text.encode("gb18030"), "anshan.txt")
    assert got["agency_name"] == "鞍山市人民政府办公室"
    assert got["t3"]["received_new__total"] == 128


def _html_t3(columns: list[str], rows: dict[str, list[str]]) -> bytes:
    head = "".join(f"<td>{c}</td>" for c in columns)
    body = "".join(
        f"<tr><td>{r.prefix}{r.label}</td>" + "".join(f"<td>{v}</td>" for v in rows[r.code]) + "</tr>"
        for r in T3_ROWS["gov2021"]
    )
    html = (
        "<html><head><meta charset='gbk'><title>测试县人民政府2024年政府信息公开工作年度报告</title></head><body>"
        "<h1>测试县人民政府2024年政府信息公开工作年度报告</h1><p>发布时间：2025-01-20</p>"
        "<p>三、收到和处理政府信息公开申请情况</p><table>"
        "<tr><td rowspan='3'>(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)</td>"
        f"<td colspan='{len(columns)}'>申请人情况</td></tr><tr>{head}</tr>{body}</table></body></html>"
    )
    return html.encode("gbk")


def test_fewer_columns_are_mapped_by_header_and_missing_ones_are_null():
    cols = ["自然人", "商业企业", "总计"]
    rows = {r.code: ["0", "0", "0"] for r in T3_ROWS["gov2021"]}
    rows["received_new"] = ["5", "2", "7"]
    rows["granted"] = ["4", "2", "6"]
    rows["unavailable_not_held"] = ["1", "", "1"]
    rows["outcome_total"] = ["5", "2", "7"]
    got = parse_bytes(_html_t3(cols, rows), "r.html")
    assert got["source_format"] == "html" and got["publish_date"] == "2025-01-20"
    assert got["t3"]["received_new__natural_person"] == 5
    assert got["t3"]["received_new__org_business"] == 2
    assert got["t3"]["received_new__total"] == 7
    assert got["t3"]["received_new__org_research"] is None  # not printed: NULL, not 0
    assert got["t3"]["unavailable_not_held__org_business"] == 0  # blank in a filled table
    assert got["status"] == "ok", [c for c in got["checks"] if c["severity"] == "error"]


def test_blank_total_column_is_derived():
    cols = [label for _, label in (("", "自然人"), ("", "商业企业"), ("", "科研机构"), ("", "社会公益组织"),
                                   ("", "法律服务机构"), ("", "其他"), ("", "总计"))]
    rows = {r.code: ["0"] * 6 + ["0"] for r in T3_ROWS["gov2021"]}
    rows["received_new"] = ["3", "1", "0", "0", "0", "0", "4"]
    rows["granted"] = ["3", "1", "0", "0", "0", "0", ""]  # blank 总计 while the parts are filled
    rows["outcome_total"] = ["3", "1", "0", "0", "0", "0", "4"]
    got = parse_bytes(_html_t3(cols, rows), "r.html")
    assert got["t3"]["granted__total"] == 4
    assert got["value_origin"]["granted__total"] == "derived"
    assert got["status"] == "ok"


def test_wholly_blank_table_is_absent_not_zero():
    cols = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    rows = {r.code: [""] * 7 for r in T3_ROWS["gov2021"]}
    got = parse_bytes(_html_t3(cols, rows), "r.html")
    assert got["t3"] is None
    assert any(c["check_id"] == "X.S9" for c in got["checks"])


@pytest.mark.parametrize("data,name,status", [
    (b"", "empty.txt", "unreadable"),
    (bytes(range(256)) * 40, "junk.bin", "unreadable"),
    (b"PK\x03\x04garbage", "broken.docx", "unreadable"),
    (b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer", "truncated.pdf", "unreadable"),
    ("会议通知：请各单位于明天上午九点参加会议。".encode(), "note.txt", "not_a_report"),
    ("<html><body><p>详见附件</p></body></html>".encode(), "stub.html", "not_a_report"),
])
def test_bad_input_gets_a_status_and_a_reason(data, name, status):
    got = parse_bytes(data, name)
    assert got["status"] == status
    assert got["error"]
    assert got["t3"] is None and got["checks"] == []



def test_pdf_with_labels_wrapped_around_the_values(anshan):
    """A PDF text layer: cells separated by spaces, long labels wrapped onto the next line after the values."""
    import io
    import re

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    text, expected = anshan
    first_copy = text.split("\n\n\n鞍山市人民政府办公室2023")[0]
    cols = ("natural_person", "org_business", "org_research", "org_public_interest", "org_legal_service", "org_other", "total")
    lines = []
    for ln in first_copy.split("\n"):
        m = re.match(r"^(.*?[^\d])(\d{7,})$", ln)
        row = next((r for r in T3_ROWS["gov2021"] if m and m.group(1).endswith(r.label)), None)
        if row is None:
            lines += [ln[i:i + 40] for i in range(0, max(len(ln), 1), 40)]
            continue
        label, values = m.group(1), " ".join(str(expected["t3"][f"{row.code}__{c}"]) for c in cols)
        lines += [label[:16] + "  " + values, label[16:]] if len(label) > 16 else [label + "  " + values]
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.setFont("STSong-Light", 9)
    y = 800
    for ln in lines:
        pdf.drawString(30, y, ln)
        y -= 12
        if y < 40:
            pdf.showPage()
            pdf.setFont("STSong-Light", 9)
            y = 800
    pdf.save()
    got = parse_bytes(buf.getvalue(), "anshan.pdf")
    assert got["source_format"] == "pdf"
    assert (got["agency_name"], got["report_year"], got["publish_date"]) == ("鞍山市人民政府办公室", 2023, "2024-01-31")
    assert got["t3"] == expected["t3"]
    assert got["t4"] == expected["t4"]
    assert sorted(c["check_id"] for c in got["checks"] if c["severity"] == "error") == ["T3.H2", "T3.H3"]


def test_a_report_nested_deeper_than_256_elements_is_read():
    """libxml2 stops at 256 levels unless told otherwise: a page wrapping its report in 300 <div>s must not hide it."""
    from devtools.synth.case import make_case
    from dagster_project.lib.parsing.api import parse_bytes

    case = make_case(6, "html", "gov2021")
    html = case.data.decode("utf-8")
    body = html.index("<body")
    deep = html[:body] + "<div>" * 300 + html[body:].replace("</body>", "</div>" * 300 + "</body>", 1)
    flat, nested = parse_bytes(case.data, "a.html"), parse_bytes(deep.encode("utf-8"), "a.html")
    assert nested["status"] == flat["status"] == "ok"
    assert (nested["t2"], nested["t3"], nested["t4"]) == (flat["t2"], flat["t3"], flat["t4"])
