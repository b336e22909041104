"""KPI marts: ratios of sums on a small fixture, hand-computed — in Python (devtools/kpi_oracle.py) and in the dbt SQL
(dbt/models/marts/analysis, rendered and run on DuckDB), which must agree with each other."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import jinja2
import pytest

from devtools.kpi_oracle import KPI_COLUMNS, agency_year_kpi, region_year_kpi
from dagster_project.lib.parsing.template import outcome_group

REPO = Path(__file__).resolve().parents[2]
ANALYSIS = REPO / "dbt" / "models" / "marts" / "analysis"

T4_ZERO = {f"{p}__{r}": 0 for p in ("admin_review", "litigation_direct", "litigation_after_review")
           for r in ("upheld", "corrected", "other", "pending", "total")}


def t3(received, carried_in, carried_out, natural, **leaves) -> dict:
    out = {"received_new__total": received, "carried_in__total": carried_in,
           "outcome_total__total": sum(leaves.values()), "carried_out__total": carried_out,
           "received_new__natural_person": natural}
    out.update({f"{k}__total": v for k, v in leaves.items()})
    return out


def t4(**cells) -> dict:
    return {**T4_ZERO, **cells}


def rep(rid, agency, name, year, status, t3_=None, t4_=None, publish="2024-01-31", n_errors=0, n_ambiguous=0):
    return {"report_id": rid, "agency_id": agency, "agency_name": name, "report_year": year, "status": status,
            "publish_date": publish, "n_errors": n_errors, "n_ambiguous": n_ambiguous,
            "template_version": "gov2021", "t3": t3_, "t4": t4_}


REPORTS = [
    rep("a22", "A", "A办公室", 2022, "published",
        t3(40, 0, 2, 30, granted=20, partially_granted=5, denied_state_secret=2, denied_third_party_rights=1,
           unavailable_not_held=6, unavailable_needs_creation=1, not_processed_duplicate=2, other_other=1),
        t4(admin_review__upheld=3, admin_review__corrected=1, admin_review__total=4,
           litigation_direct__upheld=1, litigation_direct__pending=1, litigation_direct__total=2,
           litigation_after_review__corrected=1, litigation_after_review__total=1)),
    rep("a23", "A", "A办公室", 2023, "published",
        t3(60, 2, 2, 45, granted=30, partially_granted=10, denied_internal_affairs=4, unavailable_not_held=10,
           not_processed_petition_complaint=4, other_no_correction=2),
        t4(admin_review__pending=2, admin_review__total=2,
           litigation_direct__upheld=2, litigation_direct__corrected=1, litigation_direct__total=3),
        n_ambiguous=1),
    # B 2023: the published report enters the sums; an older copy (filed as a duplicate by the report record)
    # and a quarantined one do not
    rep("b23", "B", "B办公室", 2023, "published",
        t3(100, 10, 10, 90, granted=50, partially_granted=0, denied_process_info=10, unavailable_not_held=30,
           not_processed_vexatious=5, other_fee_unpaid=5),
        t4(admin_review__upheld=2, admin_review__corrected=2, admin_review__pending=1, admin_review__total=5),
        publish="2024-02-01"),
    rep("b23-old", "B", "B办", 2023, "duplicate", t3(999, 0, 0, 999, granted=999), t4(), publish="2024-01-15"),
    rep("b23-bad", "B", "B办", 2023, "quarantined", t3(5, 0, 0, 5, granted=4), t4(), publish="2024-03-01",
        n_errors=1),
    # C: only a quarantined report — a row with counts and no KPI
    rep("c23", "C", "C", 2023, "quarantined", t3(9, 0, 0, 9, granted=8), t4(), n_errors=2),
    # D: no requests at all, no table 四 — every rate has a zero or unknown denominator
    rep("d23", "D", "D", 2023, "published", t3(0, 0, 0, 0, granted=0, partially_granted=0), None),
    # not counted anywhere in the KPI marts
    rep("dup", "A", "A办公室", 2023, "duplicate", t3(1, 0, 0, 1, granted=1), t4()),
    rep("unr", None, None, 2023, "unreadable"),
]
DIM = [
    {"agency_id": "A", "agency_name": "A办公室", "admin_level": "prefectural", "agency_kind": "government_office",
     "region_code": "210300", "province": "辽宁省", "city": "鞍山市", "county": None},
    {"agency_id": "B", "agency_name": "B办公室", "admin_level": "prefectural", "agency_kind": "department",
     "region_code": "210300", "province": "辽宁省", "city": "鞍山市", "county": None},
    {"agency_id": "C", "agency_name": "C", "admin_level": "county", "agency_kind": "zone_committee",
     "region_code": "350128", "province": "福建省", "city": "福州市", "county": "平潭县"},
    {"agency_id": "D", "agency_name": "D", "admin_level": "prefectural", "agency_kind": "department",
     "region_code": "210300", "province": "辽宁省", "city": "鞍山市", "county": None},
]
CHECKS = [("b23-bad", "T3.H1", "error"), ("b23-bad", "X.S3", "warn"), ("c23", "T3.H2", "error"),
          ("c23", "T3.H3", "error"), ("a23", "X.S3", "warn"), ("a23", "X.S8", "warn")]

NONE_KPIS = dict.fromkeys(KPI_COLUMNS)

EXPECTED_AGENCY = {
    ("A", 2022): {"n_reports": 1, "n_reports_with_errors": 0, "caseload": 40, "decisions": 38,
                  "grant_rate": 25 / 38, "grant_rate_full": 20 / 38, "grant_rate_substantive": 25 / 35,
                  "denial_rate": 3 / 38, "unavailable_rate": 7 / 38, "not_held_rate": 6 / 38,
                  "not_processed_rate": 2 / 38, "backlog_rate": 2 / 40, "natural_person_share": 30 / 40,
                  "review_correction_rate": 1 / 4, "litigation_correction_rate": 1 / 2,
                  "litigation_intensity": 300 / 38, "received_growth": None,
                  # applicant mix and refusal reasons: 10 of 40 from organisations; refusals 2 state secret + 1 third party
                  "org_share": 10 / 40, "legal_service_share": None, "petition_share": None,
                  "denied_state_secret_share": 2 / 3, "denied_third_party_rights_share": 1 / 3,
                  "denied_internal_affairs_share": None},
    ("A", 2023): {"n_reports": 1, "n_reports_with_errors": 0, "caseload": 62, "decisions": 60,
                  "grant_rate": 40 / 60, "grant_rate_full": 30 / 60, "grant_rate_substantive": 40 / 54,
                  "denial_rate": 4 / 60, "unavailable_rate": 10 / 60, "not_held_rate": 10 / 60,
                  "not_processed_rate": 4 / 60, "backlog_rate": 2 / 62, "natural_person_share": 45 / 60,
                  "review_correction_rate": None,  # 2 total − 2 pending = 0 decided
                  "litigation_correction_rate": 1 / 3, "litigation_intensity": 5.0, "received_growth": 0.5,
                  "org_share": 15 / 60, "petition_share": 4 / 60, "denied_internal_affairs_share": 1.0,
                  "denied_state_secret_share": None},
    ("B", 2023): {"n_reports": 2, "n_reports_with_errors": 1, "caseload": 110, "decisions": 100,
                  "grant_rate": 0.5, "grant_rate_full": 0.5, "grant_rate_substantive": 50 / 90,
                  "denial_rate": 0.1, "unavailable_rate": 0.3, "not_held_rate": 0.3, "not_processed_rate": 0.05,
                  "backlog_rate": 10 / 110, "natural_person_share": 0.9, "review_correction_rate": 0.5,
                  "litigation_correction_rate": None,  # no lawsuit decided
                  "litigation_intensity": 0.0, "received_growth": None},
    ("C", 2023): {**NONE_KPIS, "n_reports": 1, "n_reports_with_errors": 1},
    ("D", 2023): {**NONE_KPIS, "n_reports": 1, "n_reports_with_errors": 0, "caseload": 0, "decisions": 0},
}
EXPECTED_REGION = {
    ("210300", "prefectural", 2022): {**EXPECTED_AGENCY[("A", 2022)]},
    ("210300", "prefectural", 2023): {
        "n_reports": 4, "n_reports_with_errors": 1, "caseload": 172, "decisions": 160,
        "grant_rate": 90 / 160, "grant_rate_full": 80 / 160, "grant_rate_substantive": 90 / 144,
        "denial_rate": 14 / 160, "unavailable_rate": 40 / 160, "not_held_rate": 40 / 160,
        "not_processed_rate": 9 / 160, "backlog_rate": 12 / 172, "natural_person_share": 135 / 160,
        "review_correction_rate": 2 / 4,  # (0 + 2) / ((2 + 5) − (2 + 1)); D has no table 四
        "litigation_correction_rate": 1 / 3, "litigation_intensity": 300 / 160,  # D's decisions not counted
        "received_growth": 0.5,  # only A has 2022: 60 / 40 − 1
    },
    ("350128", "county", 2023): {**NONE_KPIS, "n_reports": 1, "n_reports_with_errors": 1},
}
EXPECTED_QUALITY = {
    # region, year: n_reports, n_reports_with_errors, n_quarantined, n_unreadable, n_ambiguous, n_warnings, share_clean
    ("210300", 2022): (1, 0, 0, 0, 0, 0, 1.0),
    ("210300", 2023): (4, 1, 1, 0, 1, 3, 3 / 4),
    ("350128", 2023): (1, 1, 1, 0, 0, 0, 0.0),
    (None, 2023): (1, 0, 0, 1, 0, 0, 0.0),
}


def _assert_rows(got: dict, expected: dict):
    assert set(got) == set(expected)
    for key, exp in expected.items():
        for col, val in exp.items():
            if val is None:
                assert got[key][col] is None, (key, col, got[key][col])
            else:
                assert got[key][col] == pytest.approx(val, rel=1e-12), (key, col)


def test_agency_year_kpi_python():
    rows = agency_year_kpi(REPORTS)
    _assert_rows({(r["agency_id"], r["report_year"]): r for r in rows}, EXPECTED_AGENCY)
    assert all(set(KPI_COLUMNS) <= set(r) for r in rows)


def test_region_year_kpi_python():
    rows = region_year_kpi(REPORTS, DIM)
    _assert_rows({(r["region_code"], r["admin_level"], r["report_year"]): r for r in rows}, EXPECTED_REGION)


def test_ratio_of_sums_is_not_mean_of_ratios():
    # A 2023 grant rate 40/60, B 50/100, D 0/0: the region's is 90/160, not the mean of 0.667 and 0.5
    row = next(r for r in region_year_kpi(REPORTS, DIM) if r["report_year"] == 2023 and r["region_code"] == "210300")
    assert row["grant_rate"] == pytest.approx(90 / 160)
    assert row["grant_rate"] != pytest.approx((40 / 60 + 50 / 100) / 2)


# ------------------------------------------------------------------ the dbt SQL on DuckDB
def _render(model: str) -> str:
    env = jinja2.Environment()
    # the shared KPI macros (dbt/macros/kpi.sql) are defined in front of the model, as dbt makes them available
    sql = (ANALYSIS.parents[2] / "macros" / "kpi.sql").read_text(encoding="utf-8") + \
        (ANALYSIS / f"{model}.sql").read_text(encoding="utf-8")
    return env.from_string(sql).render(
        ref=lambda name: name,
        source=lambda src, table: f"{src}__{table}",
        config=lambda **kw: "",
    )


def _load(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create table reports (report_id varchar, agency_id varchar, agency_name varchar, report_year integer,"
                " status varchar, publish_date date, n_errors integer, n_ambiguous integer)")
    con.execute("create table fct_applications (report_id varchar, report_year integer, agency_name varchar,"
                " applicant_type varchar, received_new bigint, carried_in bigint, outcome_total bigint,"
                " carried_out bigint)")
    con.execute("create table fct_outcomes (report_id varchar, report_year integer, agency_name varchar,"
                " applicant_type varchar, outcome_code varchar, outcome_group varchar, count bigint)")
    con.execute("create table fct_appeals (report_id varchar, report_year integer, agency_name varchar,"
                " proceeding varchar, result varchar, count bigint)")
    con.execute("create table check_results (report_id varchar, report_year integer, check_id varchar,"
                " severity varchar)")
    con.execute("create table stg_raw__agencies (agency_id varchar, agency_name varchar, admin_level varchar,"
                " agency_kind varchar, region_code varchar, province varchar, city varchar, county varchar,"
                " name_variants varchar, first_year integer, last_year integer, n_reports integer,"
                " region_match varchar)")
    for r in REPORTS:
        con.execute("insert into reports values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [r["report_id"], r["agency_id"], r["agency_name"], r["report_year"], r["status"], r["publish_date"],
                     r["n_errors"], r["n_ambiguous"]])
        if r["status"] != "published":  # fact marts hold published reports only
            continue
        key = [r["report_id"], r["report_year"], r["agency_name"]]
        t = r["t3"]
        con.execute("insert into fct_applications values (?, ?, ?, 'total', ?, ?, ?, ?)",
                    key + [t["received_new__total"], t["carried_in__total"], t["outcome_total__total"],
                           t["carried_out__total"]])
        con.execute("insert into fct_applications values (?, ?, ?, 'natural_person', ?, null, null, null)",
                    key + [t["received_new__natural_person"]])
        for cell, v in t.items():
            row = cell.removesuffix("__total")
            if cell.endswith("__total") and row not in ("received_new", "carried_in", "outcome_total", "carried_out"):
                con.execute("insert into fct_outcomes values (?, ?, ?, 'total', ?, ?, ?)",
                            key + [row, outcome_group(row), v])
        for cell, v in (r["t4"] or {}).items():
            p, res = cell.rsplit("__", 1)
            con.execute("insert into fct_appeals values (?, ?, ?, ?, ?, ?)", key + [p, res, v])
    for rid, cid, sev in CHECKS:
        con.execute("insert into check_results values (?, 2023, ?, ?)", [rid, cid, sev])
    for d in DIM:
        con.execute("insert into stg_raw__agencies values (?, ?, ?, ?, ?, ?, ?, ?, null, null, null, null, null)",
                    [d[c] for c in ("agency_id", "agency_name", "admin_level", "agency_kind", "region_code",
                                    "province", "city", "county")])


@pytest.fixture(scope="module")
def warehouse():
    con = duckdb.connect()
    _load(con)
    for model in ("dim_agency", "int_analysis__report_measures", "mart_agency_year_kpi", "mart_region_year_kpi",
                  "mart_quality_region_year"):
        con.execute(f"create table {model} as {_render(model)}")
    yield con
    con.close()


def _fetch(con, table: str) -> list[dict]:
    cur = con.execute(f"select * from {table}")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def test_agency_year_kpi_sql(warehouse):
    rows = _fetch(warehouse, "mart_agency_year_kpi")
    _assert_rows({(r["agency_id"], r["report_year"]): r for r in rows}, EXPECTED_AGENCY)
    cols = [d[0] for d in warehouse.execute("select * from mart_agency_year_kpi limit 0").description]
    assert cols == ["agency_id", "report_year", "n_reports", "n_reports_with_errors", *KPI_COLUMNS]


def test_region_year_kpi_sql(warehouse):
    rows = _fetch(warehouse, "mart_region_year_kpi")
    _assert_rows({(r["region_code"], r["admin_level"], r["report_year"]): r for r in rows}, EXPECTED_REGION)


def test_quality_region_year_sql(warehouse):
    rows = _fetch(warehouse, "mart_quality_region_year")
    cols = ("n_reports", "n_reports_with_errors", "n_quarantined", "n_unreadable", "n_ambiguous", "n_warnings",
            "share_clean")
    got = {(r["region_code"], r["report_year"]): tuple(r[c] for c in cols) for r in rows}
    assert set(got) == set(EXPECTED_QUALITY)
    for key, exp in EXPECTED_QUALITY.items():
        assert got[key] == pytest.approx(exp), key


def test_sql_and_python_agree(warehouse):
    py = {(r["agency_id"], r["report_year"]): r for r in agency_year_kpi(REPORTS)}
    sql = {(r["agency_id"], r["report_year"]): r for r in _fetch(warehouse, "mart_agency_year_kpi")}
    assert set(py) == set(sql)
    for key in py:
        for col in ("n_reports", "n_reports_with_errors", *KPI_COLUMNS):
            assert (py[key][col] is None) == (sql[key][col] is None), (key, col)
            if py[key][col] is not None:
                assert sql[key][col] == pytest.approx(py[key][col], rel=1e-12), (key, col)


def test_dim_agency_sql_passes_rows_through(warehouse):
    rows = _fetch(warehouse, "dim_agency")
    assert sorted(r["agency_id"] for r in rows) == ["A", "B", "C", "D"]
    assert re.fullmatch(r"\d{6}", next(r for r in rows if r["agency_id"] == "C")["region_code"])
