"""End to end (issue 4): audited corrections, cross-report checks and resolutions, analysis marts.

One landing folder: the Anshan sample and a generated two-agency panel (lib/synth). Two `gongkai run`s on one
warehouse, shared by the tests of this module:

1. ``accepted``: with a corrections file accepting the Anshan repair;
2. ``removed``: the same warehouse, the correction removed and replaced by a stale one (wrong original) and one
   for a file that does not exist. Nothing is re-parsed (the parse cache), yet the report is quarantined again.

The panel (gov2021, consistent in every report and across years unless said otherwise):

* 大连市教育局 2021–2023 (HTML). 2023 carries in 2 more natural-person requests than 2022 carried out (balanced
  inside the report, so only the cross-year check X.S1 can see it).
* 沈阳市民政局 2022 (HTML) and 2023 (run-together text): 2023 prints 规章 as ``1056``, which reads as 1/0/56 (the
  parser's preferred reading) or 10/5/6. 2022 has 1 rule in force, so the in-force chain T2.S2 settles 10/5/6.
"""

from __future__ import annotations

import re

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.parsing.template import C6
from devtools.synth.render import render
from devtools.synth.truth import Truth, make_truth

from .conftest import ANSHAN, run_gongkai

pytestmark = pytest.mark.integration

CELL = "unavailable_not_held__org_business"
ANSHAN_ID = "65a75b924900c975"
AGENCY_A, AGENCY_B = "大连市教育局", "沈阳市民政局"
MARTS = ("reports", "fct_applications", "fct_outcomes", "fct_appeals", "fct_proactive_disclosure", "check_results",
         "quarantine", "corrections", "dim_agency", "mart_agency_year_kpi", "mart_region_year_kpi",
         "mart_quality_region_year")

ACCEPT = f"""\
- report: {ANSHAN_ID}
  source_path: anshan-2023.txt
  cell: {CELL}
  value: 7
  original: 0
  reason: T3.H2 and T3.H3 are both fixed by 7 in this one cell
  who: test analyst
  when: 2024-05-01
"""
STALE = f"""\
- source_path: anshan-2023.txt
  cell: {CELL}
  value: 7
  original: 3
  reason: made for another version of the file
  who: test analyst
  when: 2024-05-01
- source_path: no-such-report.html
  cell: granted__total
  value: 1
  original: 0
  reason: the file is gone
  who: test analyst
  when: 2024-05-02
"""


# ---------------------------------------------------------------- the generated panel


def _chain(truths: list[Truth], break_year: int | None = None) -> None:
    """Make carried_in(y) = carried_out(y−1) and in_force(y) = in_force(y−1) + issued − repealed, keeping each
    report's own arithmetic (T3.H1: shifting carried_in and carried_out by the same amount keeps the balance).
    ``break_year``: that year carries in 2 more natural-person requests than the year before carried out."""
    base = {c: sum(abs(t.t3[f"carried_in__{c}"] - t.t3[f"carried_out__{c}"]) for t in truths) + 1 for c in C6}
    carry = dict(base)
    for t in truths:
        for c in C6:
            d = t.t3[f"carried_in__{c}"] - t.t3[f"carried_out__{c}"]
            extra = 2 if (t.report_year == break_year and c == "natural_person") else 0
            t.t3[f"carried_in__{c}"] = carry[c] + extra
            t.t3[f"carried_out__{c}"] = carry[c] + extra - d
            carry[c] = t.t3[f"carried_out__{c}"]
        for row in ("carried_in", "carried_out"):
            t.t3[f"{row}__total"] = sum(t.t3[f"{row}__{c}"] for c in C6)
    for prev, t in zip(truths, truths[1:]):
        for item in ("rules", "normative_docs"):
            p = prev.t2[f"{item}__in_force"]
            t.t2[f"{item}__repealed"] = min(t.t2[f"{item}__repealed"], p + t.t2[f"{item}__issued"])
            t.t2[f"{item}__in_force"] = p + t.t2[f"{item}__issued"] - t.t2[f"{item}__repealed"]


@dataclass
class Panel:
    landing: Path
    truths: dict[str, Truth]  # file name -> truth


def write_panel(landing: Path, seed: int = 5) -> Panel:
    rng_a, rng_b = random.Random(seed), random.Random(seed + 1)
    truths: dict[str, Truth] = {}
    a = [make_truth(rng_a, "gov2021", agency=AGENCY_A, year=y, scale="medium") for y in (2021, 2022, 2023)]
    _chain(a, break_year=2023)
    b = [make_truth(rng_b, "gov2021", agency=AGENCY_B, year=y, scale="small") for y in (2022, 2023)]
    b[0].t2.update({"rules__issued": 0, "rules__repealed": 0, "rules__in_force": 1})
    _chain(b)
    b[1].t2.update({"rules__issued": 10, "rules__repealed": 5, "rules__in_force": 6})  # 1 + 10 − 5 = 6
    files = [(t, "html", f"a-{t.report_year}.html") for t in a] + [(b[0], "html", "b-2022.html"),
                                                                   (b[1], "txt_concat", "b-2023.txt")]
    for t, fmt, name in files:
        data, _ = render(t, fmt, random.Random(t.report_year))
        (landing / name).write_bytes(data)
        truths[name] = t
    shutil.copyfile(ANSHAN, landing / "anshan-2023.txt")
    return Panel(landing, truths)


# ---------------------------------------------------------------- two runs, shared


@dataclass
class Runs:
    panel: Panel
    accepted: Path  # marts after the run that accepts the repair
    removed: Path  # marts after the run without it (a copy: the warehouse is reused)
    out_accepted: str
    out_removed: str


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    root = tmp_path_factory.mktemp("issue4")
    landing, warehouse = root / "landing", root / "warehouse"
    landing.mkdir()
    panel = write_panel(landing)
    accept, stale = root / "accept.yaml", root / "stale.yaml"
    accept.write_text(ACCEPT, encoding="utf-8")
    stale.write_text(STALE, encoding="utf-8")
    first = run_gongkai("run", "--landing", str(landing), "--warehouse", str(warehouse), "--corrections", str(accept))
    assert first.returncode == 0, first.stdout + first.stderr
    shutil.copytree(warehouse / "marts", root / "marts-accepted")
    second = run_gongkai("run", "--landing", str(landing), "--warehouse", str(warehouse), "--corrections", str(stale))
    assert second.returncode == 0, second.stdout + second.stderr
    return Runs(panel, root / "marts-accepted", warehouse / "marts", first.stdout, second.stdout)


def q(marts: Path, sql: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        for m in MARTS:
            con.execute(f"create view {m} as select * from read_parquet('{marts}/{m}/**/*.parquet', "
                        "hive_partitioning=true)")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def rid(marts: Path, path: str) -> str:
    return q(marts, f"select report_id from reports where source_path = '{path}'")[0][0]


# ---------------------------------------------------------------- corrections


def test_accepted_repair_publishes_anshan_with_manual_value(runs):
    m = runs.accepted
    assert rid(m, "anshan-2023.txt") == ANSHAN_ID
    assert q(m, f"select status, n_errors, n_corrected_cells from reports where report_id = '{ANSHAN_ID}'") == [
        ("published", 0, 1)]
    assert q(m, f"select count(*) from quarantine where report_id = '{ANSHAN_ID}'") == [(0,)]
    rows = q(m, f"select outcome_group, count, value_origin, value_as_printed, origin_note from fct_outcomes "
                f"where report_id = '{ANSHAN_ID}' and outcome_code = 'unavailable_not_held' "
                "and applicant_type = 'org_business'")
    assert len(rows) == 1
    group, count, origin, printed, note = rows[0]
    assert (group, count, origin, printed) == ("unavailable", 7, "manual", 0)
    assert "test analyst" in note and "2024-05-01" in note
    # every other cell of the report is as parsed
    assert q(m, f"select count(*) from fct_outcomes where report_id = '{ANSHAN_ID}' and value_origin = 'manual'") \
        == [(1,)]
    assert q(m, f"select count(*) from fct_outcomes where report_id = '{ANSHAN_ID}' and count <> value_as_printed") \
        == [(1,)]
    # the facts of the corrected report now hold T3.H2/T3.H3
    assert q(m, f"""select sum(count) filter (where applicant_type <> 'total'),
                           max(count) filter (where applicant_type = 'total')
                    from fct_outcomes where report_id = '{ANSHAN_ID}' and outcome_code = 'unavailable_not_held'""") \
        == [(125, 125)]


def test_check_results_show_the_state_after_correction(runs):
    m = runs.accepted
    rows = q(m, f"select check_id, severity, check_origin, expected, actual, message from check_results "
                f"where report_id = '{ANSHAN_ID}' order by check_seq")
    assert not [r for r in rows if r[1] == "error"]
    assert all(r[2] in ("recheck", "correction") for r in rows)
    applied = [r for r in rows if r[0] == "CORRECTION.applied"]
    assert len(applied) == 1
    assert applied[0][1:5] == ("warn", "correction", 7.0, 0.0)
    assert "T3.H2, T3.H3" in applied[0][5]
    assert q(m, "select status, report_id, value_as_printed, value, errors_before, errors_after, report_status "
                "from corrections") == [("applied", ANSHAN_ID, 0.0, 7.0, ["T3.H2", "T3.H3"], [], "published")]
    assert "1 applied, 0 stale" in runs.out_accepted


def test_removing_the_correction_quarantines_again_and_stale_ones_are_reported(runs):
    m = runs.removed
    assert q(m, f"select status, n_errors, n_corrected_cells from reports where report_id = '{ANSHAN_ID}'") == [
        ("quarantined", 2, 0)]
    assert q(m, f"select failed_checks from quarantine where report_id = '{ANSHAN_ID}'") == [(["T3.H2", "T3.H3"],)]
    for fact in ("fct_applications", "fct_outcomes", "fct_appeals", "fct_proactive_disclosure"):
        assert q(m, f"select count(*) from {fact} where report_id = '{ANSHAN_ID}'") == [(0,)]
        assert q(m, f"select count(*) from {fact} where value_origin = 'manual'") == [(0,)]
    # the stale entry (wrong original) is not applied, and is visible in three places
    stale = q(m, "select entry_no, status, report_id, stale_reason from corrections order by entry_no")
    assert [(s[0], s[1], s[2]) for s in stale] == [(1, "stale", ANSHAN_ID), (2, "stale", None)]
    assert "original differs" in stale[0][3] and "expects 3" in stale[0][3]
    assert stale[1][3] == "report not found"
    assert q(m, f"select severity, check_origin, expected, actual from check_results where report_id = '{ANSHAN_ID}' "
                "and check_id = 'CORRECTION.stale'") == [("warn", "correction", 3.0, 0.0)]
    assert "0 applied, 2 stale" in runs.out_removed and "STALE, not applied: anshan-2023.txt" in runs.out_removed
    assert "ingest: 6 files, 0 read, 0 parsed" in runs.out_removed  # the parse cache did not get in the way


# ---------------------------------------------------------------- cross-report checks


def test_carry_over_break_is_warned_on_exactly_that_report_which_stays_published(runs):
    m = runs.accepted
    a2023 = rid(m, "a-2023.html")
    rows = q(m, "select report_id, severity, check_origin, cells, expected, actual from check_results "
                "where check_id = 'X.S1'")
    assert {r[0] for r in rows} == {a2023}
    assert {r[1] for r in rows} == {"warn"} and {r[2] for r in rows} == {"cross_report"}
    cells = {r[3][0]: (r[4], r[5]) for r in rows}
    assert set(cells) == {"carried_in__natural_person", "carried_in__total"}
    e, a = cells["carried_in__natural_person"]
    assert a - e == 2
    assert q(m, f"select status, n_errors from reports where report_id = '{a2023}'") == [("published", 0)]
    assert q(m, f"select count(*) from fct_applications where report_id = '{a2023}'") == [(7,)]
    # warnings count in reports.n_warnings
    n_warn = q(m, f"select n_warnings from reports where report_id = '{a2023}'")[0][0]
    assert n_warn == q(m, f"select count(*) from check_results where report_id = '{a2023}' and severity = 'warn'")[0][0]
    assert n_warn >= 2


def test_ambiguous_split_resolved_by_the_in_force_chain(runs):
    from dagster_project.lib.parsing.api import parse_bytes

    m = runs.accepted
    b2023 = rid(m, "b-2023.txt")
    parsed = parse_bytes((runs.panel.landing / "b-2023.txt").read_bytes(), "b-2023.txt")
    assert parsed["status"] == "ok" and "t2.rules" in parsed["ambiguous"]
    assert parsed["ambiguous"]["t2.rules"][0] == {"rules__issued": 1, "rules__repealed": 0, "rules__in_force": 56}
    # every ambiguous part of 2023 has a chain identity with 2022 (table 二 rows): all are settled
    assert q(m, f"select status, n_ambiguous, n_resolved_parts from reports where report_id = '{b2023}'") == [
        ("published", 0, len(parsed["ambiguous"]))]
    rows = q(m, f"select measure, value, value_origin, value_as_printed, origin_note from fct_proactive_disclosure "
                f"where report_id = '{b2023}' and item = 'rules' order by measure")
    got = {r[0]: r[1:] for r in rows}
    assert {k: v[0] for k, v in got.items()} == {"issued": 10, "repealed": 5, "in_force": 6}
    assert {k: v[1] for k, v in got.items()} == {"issued": "resolved", "repealed": "resolved", "in_force": "resolved"}
    assert {k: v[2] for k, v in got.items()} == {"issued": 1, "repealed": 0, "in_force": 56}  # the parser's reading
    assert got["issued"][3].startswith("T2.S2 with 2022 report " + rid(m, "b-2022.html"))
    assert "reading 2 of 2; the parser preferred rules__issued = 1" in got["issued"][3]
    # other settled parts keep the truth, marked resolved
    truth = runs.panel.truths["b-2023.txt"].t2
    for part in parsed["ambiguous"]:
        item = part.partition(".")[2]
        for measure, value, origin, _printed, _ in q(m, f"select measure, value, value_origin, value_as_printed, "
                                                        f"origin_note from fct_proactive_disclosure where report_id = "
                                                        f"'{b2023}' and item = '{item}'"):
            assert (value, origin) == (truth[f"{item}__{measure}"], "resolved"), (item, measure)
    # settled: no T2.S2 warning is left on it
    assert q(m, f"select count(*) from check_results where report_id = '{b2023}' and check_id = 'T2.S2'") == [(0,)]


# ---------------------------------------------------------------- analysis marts


def test_analysis_marts_are_published_with_the_contract_columns(runs):
    m = runs.accepted
    contract = {
        "dim_agency": {"agency_id", "agency_name", "admin_level", "agency_kind", "region_code", "province", "city",
                       "county"},
        "mart_agency_year_kpi": {"agency_id", "report_year", "n_reports", "n_reports_with_errors", "caseload",
                                 "decisions", "grant_rate", "grant_rate_full", "grant_rate_substantive",
                                 "denial_rate", "unavailable_rate", "not_held_rate", "not_processed_rate",
                                 "backlog_rate", "natural_person_share", "review_correction_rate",
                                 "litigation_correction_rate", "litigation_intensity", "received_growth"},
        "mart_quality_region_year": {"region_code", "report_year", "n_reports", "n_reports_with_errors",
                                     "n_quarantined", "n_unreadable", "n_ambiguous", "n_warnings", "share_clean"},
    }
    contract["mart_region_year_kpi"] = (contract["mart_agency_year_kpi"] - {"agency_id"}) | {"region_code",
                                                                                            "admin_level"}
    for mart, cols in contract.items():
        have = {r[0] for r in q(m, f"describe select * from {mart}")}
        assert cols <= have, (mart, cols - have)
        assert q(m, f"select count(*) from {mart}")[0][0] > 0, mart
    # dim_agency has no year: one unpartitioned file, still readable with the contract's expression
    (only,) = [p.name for p in (m / "dim_agency").iterdir()]
    assert re.fullmatch(r"part_\d{8}T\d{6}-[0-9a-f]{8}_0\.parquet", only)  # the publish id is in the name
    assert q(m, "select region_code, province, city, admin_level, agency_kind from dim_agency "
                "where agency_name = '鞍山市人民政府办公室'") == [("210300", "辽宁省", "鞍山市", "prefectural",
                                                                    "government_office")]
    assert q(m, f"select region_code from dim_agency where agency_name = '{AGENCY_A}'") == [("210200",)]
    # one agency across three years
    assert q(m, f"select count(distinct agency_id) from reports where agency_name = '{AGENCY_A}'") == [(1,)]


def test_agency_year_kpis_equal_lib_kpi_on_the_same_reports(runs):
    from dagster_project.lib.agency import agency_id_for
    from devtools.kpi_oracle import KPI_COLUMNS, agency_year_kpi

    m = runs.accepted
    reports = []
    for name, t in runs.panel.truths.items():
        if t.agency_name != AGENCY_A:
            continue
        reports.append({"report_id": rid(m, name), "agency_id": agency_id_for(t.agency_name),
                        "report_year": t.report_year, "status": "published", "n_errors": 0,
                        "publish_date": t.publish_date, "template_version": t.version, "t3": t.t3, "t4": t.t4})
    expected = {(r["agency_id"], r["report_year"]): r for r in agency_year_kpi(reports)}
    cols = ("agency_id", "report_year", "n_reports", "n_reports_with_errors") + KPI_COLUMNS
    got = {(r[0], r[1]): dict(zip(cols, r)) for r in q(m, f"select {', '.join(cols)} from mart_agency_year_kpi")}
    aid = agency_id_for(AGENCY_A)
    for year in (2021, 2022, 2023):
        row, exp = got[(aid, year)], expected[(aid, year)]
        for c in cols:
            if isinstance(exp[c], float):
                assert row[c] == pytest.approx(exp[c]), (year, c)
            else:
                assert row[c] == exp[c], (year, c)
    assert got[(aid, 2022)]["received_growth"] is not None
    assert all(got[(aid, y)]["grant_rate"] is not None for y in (2021, 2022, 2023))
    # the corrected Anshan report enters its agency-year KPIs (published) and counts as clean
    anshan = q(m, "select k.n_reports, k.n_reports_with_errors, k.decisions from mart_agency_year_kpi k "
                  "join dim_agency d using (agency_id) where d.agency_name = '鞍山市人民政府办公室'")
    assert anshan == [(1, 0, 128)]
    # without the correction it is quarantined: counted, with errors, numbers left out
    assert q(runs.removed, "select k.n_reports, k.n_reports_with_errors, k.decisions from mart_agency_year_kpi k "
                           "join dim_agency d using (agency_id) where d.agency_name = '鞍山市人民政府办公室'") \
        == [(1, 1, None)]
