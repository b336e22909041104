"""The docs a user opens work offline (issue 9): Great Expectations Data Docs load only files beside them, name the
run and the data asset; the quality report draws from the published marts with one shared plotly.min.js; the
Markdown tables of held-back reports for the Dagster UI."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.warehouse import findings, gx_offline, quality, quality_report
from tests.warehouse.factories import fact_frames

LOCAL_REF = re.compile(r"""(?:src|href)=["'](?!https?:|//|#|javascript:|mailto:|data:)([^"'#?]+)""")


@pytest.fixture(scope="module")
def gx_site(tmp_path_factory) -> Path:
    docs = tmp_path_factory.mktemp("gx") / "gx_docs"
    frames = fact_frames([("r1", "gov2021", 1), ("r2", "gov2019", 2)])
    con = duckdb.connect()
    for name, df in frames.items():
        con.register(name, df)
    try:
        for mart in ("fct_appeals", "fct_outcomes"):
            quality.validate(con, mart, relations={k: k for k in frames}, docs_dir=docs, build=False,
                             run_name="dagster-run-abcd1234")
    finally:
        con.close()
    quality.build_docs(docs)
    return docs


def test_gx_pages_load_nothing_from_elsewhere_and_every_local_file_exists(gx_site):
    pages = list(gx_site.rglob("*.html"))
    assert len(pages) >= 4
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert gx_offline.external_resources(text) == [], page
        for ref in LOCAL_REF.findall(text):
            if ref.endswith((".css", ".js", ".png", ".ico", ".woff2")):
                assert (page.parent / ref).resolve().is_file(), f"{page}: {ref}"
        assert "static/vendor/js/jquery.min.js" in text and "static/vendor/css/bootstrap.min.css" in text


def test_gx_validation_pages_name_the_run_and_the_data_asset(gx_site):
    (page,) = gx_site.glob("validations/fct_appeals/totals/*/*/*.html")
    assert page.parts[-3] == "dagster-run-abcd1234"
    text = page.read_text(encoding="utf-8")
    assert "Data asset: None" not in text and "fct_appeals (frame fct_appeals.totals of fct_appeals)" in text
    assert "T4.H1 total = upheld + corrected + other + pending" in text and "表四" in text


def test_an_unknown_cdn_is_reported_not_hidden():
    page = ('<link rel="stylesheet" href="https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css">'
            '<script src="https://cdn.example.org/new-lib.js"></script>'
            "<style>.x{background:url('https://cdn.example.org/a.png')}</style>")
    out = gx_offline._rewrite(page, "../")
    assert 'href="../static/vendor/css/bootstrap-table.min.css"' in out
    left = gx_offline.external_resources(out)
    assert len(left) == 2 and all("cdn.example.org" in r for r in left)


def _marts(root: Path) -> Path:
    """A tiny publish: the columns the report reads, as plain parquet folders."""
    marts = root / "marts"
    con = duckdb.connect()
    tables = {
        "reports": """select * from (values
            ('r1','a.txt','txt','published','ok',null,0,1,'gov2021','A1',2023),
            ('r2','b|x.txt','txt','quarantined','invariant_errors',null,2,0,'gov2021','A1',2024),
            ('r3','c.pdf','pdf','unreadable','unreadable','empty file',0,0,null,null,null))
            t(report_id, source_path, source_format, status, parse_status, error, n_errors, n_warnings,
              template_version, agency_id, report_year)""",
        "check_results": """select * from (values
            ('r2',2024,1,'T3.H2','error','T3.H2 row: 1+1 = 2, but 总计 says 3'),
            ('r2',2024,2,'T3.H3','error','T3.H3 org_business: leaves sum to 0'),
            ('r1',2023,1,'X.S3','warn','partial'))
            t(report_id, report_year, check_seq, check_id, severity, message)""",
        "quarantine": """select 'r2' as report_id, 2024 as report_year, 'b|x.txt' as source_path, '某市政府' as agency_name,
            ['T3.H2','T3.H3'] as failed_checks, 'T3.H2 [..]; T3.H3 [..]' as failed_checks_detail,
            'unavailable_not_held__org_business = 7' as suggested_repair""",
        "dim_agency": """select 'A1' as agency_id, '某市人民政府办公室' as agency_name, 'prefectural' as admin_level,
            '辽宁省' as province, '鞍山市' as city, null as county, 2 as n_reports, '210300' as region_code""",
        "mart_region_year_kpi": """select '210300' as region_code, 'prefectural' as admin_level, 2023 as report_year,
            1 as n_reports, 0.5 as grant_rate, 0.1 as not_held_rate, null::double as review_correction_rate,
            0.0 as litigation_correction_rate""",
        "mart_agency_year_kpi": """select 'A1' as agency_id, 2023 as report_year, 1 as n_reports, 10 as caseload,
            8 as decisions, 0.5 as grant_rate, 0.1 as not_held_rate, null::double as review_correction_rate,
            0.0 as litigation_correction_rate""",
    }
    for name, sql in tables.items():
        (marts / name).mkdir(parents=True)
        con.execute(f"copy ({sql}) to '{marts / name / 'part_0.parquet'}' (format parquet)")
    con.close()
    return marts


def test_quality_report_is_built_from_the_marts_with_one_shared_plotly(tmp_path):
    marts = _marts(tmp_path)
    out = tmp_path / "quality_report"
    built = quality_report.build(marts, out)
    assert built.counts == {"published": 1, "quarantined": 1, "unreadable": 1}
    assert built.n_agencies == 1 and built.n_agency_pages == 1
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<script src="plotly.min.js"></script>' in index and "Plotly.newPlot" in index
    assert (out / "plotly.min.js").stat().st_size > 1_000_000
    assert "b|x.txt" in index and "unavailable_not_held__org_business = 7" in index and "empty file" in index
    assert gx_offline.external_resources(index) == []
    (agency,) = (out / "agency").glob("*.html")
    page = agency.read_text(encoding="utf-8")
    assert '<script src="../plotly.min.js"></script>' in page and "a.txt" in page and "b|x.txt" in page
    assert len(list(out.rglob("plotly.min.js"))) == 1
    quality_report.build(marts, out)  # rebuilt in place: the previous report is replaced, nothing left beside
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marts", "quality_report"]


def test_a_rebuild_rewrites_only_the_pages_that_changed(tmp_path):
    """Pages equal to the previous report's are hard-linked from it (same inode), changed ones written anew."""
    marts = _marts(tmp_path)
    out = tmp_path / "quality_report"
    quality_report.build(marts, out)

    def inodes() -> dict[str, int]:
        return {str(p.relative_to(out)): p.stat().st_ino for p in out.rglob("*") if p.is_file()}

    first = inodes()
    assert {"index.html", "plotly.min.js"} <= set(first) and len(first) == 3
    assert quality_report.build(marts, out).n_files_written == 0
    assert inodes() == first  # nothing changed: every page kept
    (page,) = (out / "agency").glob("*.html")
    assert "d.txt" not in page.read_text(encoding="utf-8")

    # one more report of the agency: its page and the index change, Plotly's script does not
    reports = marts / "reports" / "part_0.parquet"
    con = duckdb.connect()
    con.execute(f"""copy (select * from read_parquet('{reports}') union all
                          select 'r4','d.txt','txt','published','ok',null,0,0,'gov2021','A1',2024)
                    to '{tmp_path / "r.parquet"}' (format parquet)""")
    con.close()
    (tmp_path / "r.parquet").replace(reports)
    assert quality_report.build(marts, out).n_files_written == 2  # the agency's page and the index
    third = inodes()
    assert third["plotly.min.js"] == first["plotly.min.js"]
    assert third["index.html"] != first["index.html"]
    assert third[str(page.relative_to(out))] != first[str(page.relative_to(out))]
    assert "d.txt" in page.read_text(encoding="utf-8")


def test_held_back_reports_as_markdown_and_plain_lines():
    con = duckdb.connect()
    con.execute("""create table reports as select * from (values
        ('r1','ok.txt','published',null,null,null,null),
        ('r2','q|1.txt','quarantined','某局',2023,'c = 7',null),
        ('r3','bad.pdf','unreadable',null,null,null,'empty file'))
        t(report_id, source_path, status, agency_name, report_year, suggested_repair, error)""")
    con.execute("""create table checks as select * from (values
        ('r2',1,'T3.H2','error','T3.H2 row | sum'), ('r2',2,'X.S3','warn','soft'), ('r2',3,'T3.H3','error','T3.H3 x'))
        t(report_id, check_seq, check_id, severity, message)""")
    problems = findings.problem_reports(con, "reports", "checks")
    assert [(p.source_path, p.failed_checks) for p in problems] == [("q|1.txt", ["T3.H2", "T3.H3"]),
                                                                    ("bad.pdf", [])]
    md = findings.problems_markdown(problems, findings.status_counts(con, "reports"))
    assert md.startswith("**3 reports**: 1 published, 1 quarantined, 1 unreadable, 0 duplicate")
    row = next(line for line in md.splitlines() if line.startswith("| q\\|1.txt"))
    assert row.count(" | ") == 6  # the pipes of the path and the message are escaped: still 7 cells
    assert "empty file" in md and "X.S3" not in md
    lines = findings.problem_entries(problems)
    assert lines == {"q|1.txt": "quarantined: T3.H2, T3.H3 — suggested repair: c = 7", "bad.pdf": "unreadable: empty file"}


def test_held_back_reports_at_scale_are_fetched_in_part_and_counted_in_full():
    """A national year holds tens of thousands of held-back reports: the UI gets the first MAX_FETCH with their
    checks, and the tables and lines count the rest instead of listing them."""
    con = duckdb.connect()
    con.execute("""create table reports as select 'r' || i as report_id, 'f' || lpad(i::varchar, 6, '0') || '.txt'
        as source_path, case when i % 3 = 0 then 'unreadable' else 'quarantined' end as status, null as agency_name,
        2023 as report_year, null as suggested_repair, 'why' as error from range(30000) t(i)""")
    con.execute("""create table checks as select report_id, 1 as check_seq, 'T3.H2' as check_id, 'error' as severity,
        'T3.H2 m' as message from reports where status = 'quarantined'""")
    problems = findings.problem_reports(con, "reports", "checks")
    assert len(problems) == findings.MAX_FETCH and all(p.status == "quarantined" for p in problems)
    counts = findings.status_counts(con, "reports")
    assert findings.held_back_count(counts) == 30000
    md = findings.problems_markdown(problems, counts)
    assert md.count("\n| f0") == findings.MAX_ROWS_MD
    assert f"… and {30000 - findings.MAX_ROWS_MD:,} more rows" in md
    lines = findings.problem_entries(problems, total=30000)
    assert len(lines) == 21 and lines["…"] == "29,980 more held-back reports (see the table)"
    assert len(findings.problem_reports(con, "reports", "checks", limit=None)) == 30000


def test_each_validated_expectation_is_listed_with_its_description():
    """The Dagster GX check lists every expectation it evaluated in words (quality.PartResult.checked)."""
    frames = fact_frames([("r1", "gov2021", 1)])
    frames["fct_appeals"].loc[frames["fct_appeals"].index[0], "count"] += 1  # break T4.H1 in one row
    con = duckdb.connect()
    for name, df in frames.items():
        con.register(name, df)
    try:
        result = quality.validate(con, "fct_appeals", relations={k: k for k in frames})
    finally:
        con.close()
    checked = [c for p in result.parts for c in p.checked]
    assert len(checked) == sum(p.evaluated for p in result.parts) >= 10
    assert all(re.match(r"(T4\.H[12]|GRAIN|CODES|SHAPE)\b", d) and re.search(r"[\u4e00-\u9fff]", d)
               for d, _ in checked), checked
    failed = {d.split(" ")[0] for d, ok in checked if not ok}
    assert "T4.H1" in failed
