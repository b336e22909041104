"""Every GX suite passes on consistent facts and fails on facts that break its invariants."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.warehouse import quality
from tests.warehouse.factories import fact_frames

REPORTS = [("r1", "gov2021", 1), ("r2", "gov2019", 2), ("r3", "gov2021", 5)]


def run(frames: dict[str, pd.DataFrame], mart: str) -> quality.MartResult:
    con = duckdb.connect()
    for name, df in frames.items():
        con.register(name, df)
    try:
        return quality.validate(con, mart, relations={k: k for k in frames})
    finally:
        con.close()


def failed_invariants(result: quality.MartResult) -> set[str]:
    return {(f["description"] or "").split(" ")[0] for f in result.failed}


@pytest.fixture(scope="module")
def frames():
    return fact_frames(REPORTS)


def copy(frames):
    return {k: v.copy() for k, v in frames.items()}


def test_suite_modules_exist_for_every_fact_mart():
    assert set(quality.suite_names()) >= {"fct_applications", "fct_outcomes", "fct_appeals",
                                          "fct_proactive_disclosure", "reports"}


@pytest.mark.parametrize("mart", ["fct_applications", "fct_outcomes", "fct_appeals", "fct_proactive_disclosure"])
def test_consistent_facts_pass(frames, mart):
    result = run(frames, mart)
    assert result.success, result.failed


def test_applications_t3h1_column_balance(frames):
    f = copy(frames)
    a = f["fct_applications"]
    a.loc[(a.report_id == "r1") & (a.applicant_type == "natural_person"), "carried_out"] += 1
    result = run(f, "fct_applications")
    assert not result.success
    assert {"T3.H1", "T3.H2"} <= failed_invariants(result)  # the total row no longer sums either
    assert all(f["sample_report_ids"] == ["r1"] for f in result.failed)


def test_applications_t3h2_row_total(frames):
    f = copy(frames)
    a = f["fct_applications"]
    mask = (a.report_id == "r2") & (a.applicant_type == "total")
    a.loc[mask, ["received_new", "outcome_total"]] += 5  # H1 still balances on total, H2 does not
    result = run(f, "fct_applications")
    assert failed_invariants(result) == {"T3.H2"}


def test_applications_negative_count(frames):
    f = copy(frames)
    a = f["fct_applications"]
    a.loc[0, "carried_in"] = -1
    a.loc[0, "received_new"] += 1 + a.loc[0, "carried_in"] * 0  # keep H1 off the question
    assert "T3.H5" in failed_invariants(run(f, "fct_applications"))


def test_outcomes_t3h2_leaf_row_total(frames):
    f = copy(frames)
    o = f["fct_outcomes"]
    o.loc[(o.report_id == "r3") & (o.outcome_code == "granted") & (o.applicant_type == "total"), "count"] += 2
    result = run(f, "fct_outcomes")
    assert "T3.H2" in failed_invariants(result)
    assert "T3.H3" in failed_invariants(result)  # the total column's leaves no longer match (七)总计


def test_outcomes_t3h3_outcome_total(frames):
    """The Anshan defect: a business-enterprise leaf lost 7 requests in both its cell and the row total."""
    f = copy(frames)
    o = f["fct_outcomes"]
    a = f["fct_applications"]
    for col in ("org_business", "total"):
        a.loc[(a.report_id == "r1") & (a.applicant_type == col), ["outcome_total", "received_new"]] += 7
    result = run(f, "fct_outcomes")
    assert failed_invariants(result) == {"T3.H3"}
    assert run(f, "fct_applications").success  # applications alone are consistent


def test_outcomes_missing_leaf(frames):
    f = copy(frames)
    o = f["fct_outcomes"]
    f["fct_outcomes"] = o[~((o.report_id == "r2") & (o.outcome_code == "other_total"))]
    result = run(f, "fct_outcomes")
    assert not result.success


def test_appeals_t4h1(frames):
    f = copy(frames)
    p = f["fct_appeals"]
    p.loc[(p.report_id == "r1") & (p.proceeding == "litigation_direct") & (p.result == "pending"), "count"] += 1
    result = run(f, "fct_appeals")
    assert failed_invariants(result) == {"T4.H1"}
    assert result.failed[0]["sample_report_ids"] == ["r1"]


def test_appeals_negative(frames):
    f = copy(frames)
    p = f["fct_appeals"]
    p.loc[(p.report_id == "r2") & (p.proceeding == "admin_review") & (p.result == "upheld"), "count"] = -1
    p.loc[(p.report_id == "r2") & (p.proceeding == "admin_review") & (p.result == "total"), "count"] = -1 + int(
        p[(p.report_id == "r2") & (p.proceeding == "admin_review") & p.result.isin(["corrected", "other", "pending"])]
        ["count"].sum())
    assert "T4.H2" in failed_invariants(run(f, "fct_appeals"))


def test_proactive_negative_fee_and_fraction(frames):
    f = copy(frames)
    t = f["fct_proactive_disclosure"]
    t.loc[(t.report_id == "r1") & (t.measure == "fee_amount_10k_cny"), "value"] = -0.5
    t.loc[(t.report_id == "r3") & (t.measure == "issued"), "value"] = 1.5
    assert {"T2.H2", "T2.H1"} <= failed_invariants(run(f, "fct_proactive_disclosure"))


def test_proactive_items_change_may_be_negative_but_not_below_zero_items(frames):
    f = copy(frames)
    t = f["fct_proactive_disclosure"]
    rows = (t.report_id == "r2") & (t.item == "licensing")
    t.loc[rows & (t.measure == "items_prev_year"), "value"] = 3.0
    t.loc[rows & (t.measure == "items_change"), "value"] = -2.0
    assert run(f, "fct_proactive_disclosure").success
    t.loc[rows & (t.measure == "items_change"), "value"] = -4.0
    assert failed_invariants(run(f, "fct_proactive_disclosure")) == {"T2.H3"}


def test_reports_accounting():
    ok = pd.DataFrame({
        "report_id": ["a", "b", "c", "d"], "source_path": ["a", "b", "c", "d"],
        "status": ["published", "quarantined", "unreadable", "duplicate"], "n_errors": [0, 2, 0, 0],
        "error": [None, None, "binary data", None], "canonical_report_id": ["a", "b", "c", "a"],
    })
    assert run({"reports": ok}, "reports").success
    bad = ok.copy()
    bad.loc[0, "n_errors"] = 1  # published with an error
    bad.loc[2, "error"] = None  # unreadable without a reason
    bad.loc[3, "canonical_report_id"] = "d"  # duplicate of itself
    result = run({"reports": bad}, "reports")
    assert len(result.failed) == 3
