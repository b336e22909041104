"""lib/warehouse/adjust.py: corrections, cross-report checks and resolutions between parse and dbt (issue 4)."""

from __future__ import annotations

import copy
import hashlib

import duckdb
import pytest

from dagster_project.lib.corrections import parse_corrections
from dagster_project.lib.warehouse import adjust as A
from dagster_project.lib.warehouse import ingest as I
from tests.unit.test_crossyear import make_panel
from tests.warehouse.test_ingest import parse_result


def listing(panel: list[dict]) -> list[dict]:
    """The crossyear panel in the shape of :func:`adjust.load_reports` rows (everything loaded, all clean)."""
    out = []
    for r in panel:
        out.append({**copy.deepcopy(r), "source_path": f"{r['report_id']}.html", "parse_key": f"{r['report_id']}.html",
                    "agency_name": r["agency_id"], "publish_date": f"{r['report_year'] + 1}-01-31",
                    "source_format": "html", "status": "ok", "parse_status": "ok", "n_errors": 0, "n_warnings": 0,
                    "content_copy": 1, "loaded": True, "checks": [], "suggested_repair": None,
                    "template_detected": {"t2": "gov2021", "t3": "gov2021"}})
    return out


def find(reports, report_id):
    return next(r for r in reports if r["report_id"] == report_id)


def test_consistent_panel_needs_no_adjustment():
    out = A.adjust(listing(make_panel()), [])
    assert (out.report_adjustments, out.cell_adjustments, out.derived_checks, out.corrections) == ([], [], [], [])
    assert all(t.num_rows == 0 for t in out.tables().values())


def test_carry_over_break_is_one_warn_row_and_counts_as_a_warning():
    reports = listing(make_panel())
    r = find(reports, "r03-2022")
    r["t3"]["carried_in__natural_person"] += 3
    r["t3"]["carried_in__total"] += 3
    r["n_warnings"] = 1  # a parser warning it already had
    out = A.adjust(reports, [])
    assert [(c["report_id"], c["check_id"], c["severity"], c["check_origin"], c["cells"]) for c in out.derived_checks] \
        == [("r03-2022", "X.S1", "warn", "cross_report", ["carried_in__natural_person"]),
            ("r03-2022", "X.S1", "warn", "cross_report", ["carried_in__total"])]
    (adj,) = out.report_adjustments
    assert (adj["report_id"], adj["parse_status"], adj["n_errors"], adj["n_warnings"], adj["rechecked"]) == \
        ("r03-2022", "ok", 0, 3, False)
    assert out.summary["cross_report_warnings"] == {"X.S1": 2}


def test_ambiguous_part_resolved_by_the_neighbouring_year():
    reports = listing(make_panel())
    r = find(reports, "r05-2021")
    truth = {k: r["t2"][k] for k in ("rules__issued", "rules__repealed", "rules__in_force")}
    wrong = {"rules__issued": truth["rules__issued"] + 1, "rules__repealed": truth["rules__repealed"],
             "rules__in_force": truth["rules__in_force"] + 40}
    r["t2"].update(wrong)  # the parser preferred the wrong reading
    r["ambiguous"] = {"t2.rules": [wrong, truth]}
    out = A.adjust(reports, [])
    cells = {c["cell"]: c for c in out.cell_adjustments}
    assert set(cells) == set(truth)
    for k, v in truth.items():
        assert (cells[k]["value"], cells[k]["value_as_printed"], cells[k]["value_origin"]) == (v, wrong[k], "resolved")
    assert cells["rules__in_force"]["origin_note"].startswith("T2.S2 with 2020 report r05-2020 and 2022 report r05-2022")
    (adj,) = out.report_adjustments
    assert (adj["n_ambiguous"], adj["ambiguous_json"], adj["n_resolved_parts"]) == (0, None, 1)
    assert out.derived_checks == []  # the chain holds with the resolved reading: nothing to warn


def _t3_break(r: dict) -> None:
    """Lose 7 requests from one leaf (like the Anshan sample): T3.H2 and T3.H3 fail."""
    r["t3"]["granted__org_business"] -= 7 if r["t3"]["granted__org_business"] >= 7 else 0


def test_correction_publishes_rechecked_report_and_keeps_the_printed_value():
    reports = listing(make_panel(n_agencies=2))
    r = find(reports, "r01-2021")
    good = r["t3"]["granted__natural_person"]
    r["t3"]["granted__natural_person"] = good + 5
    r["status"], r["n_errors"] = "invariant_errors", 2
    r["checks"] = [{"check_id": "T3.H2", "severity": "error", "cells": ["granted__total"], "expected": good + 5,
                    "actual": good, "message": "row"},
                   {"check_id": "X.S3", "severity": "warn", "cells": [], "expected": 1, "actual": 2, "message": "text"}]
    corr = parse_corrections([{"source_path": "r01-2021.html", "cell": "granted__natural_person", "value": good,
                               "original": good + 5, "reason": "typo", "who": "me", "when": "2024-05-01"}])
    out = A.adjust(reports, corr, "corr.yaml")
    (cell,) = out.cell_adjustments
    assert (cell["cell"], cell["value"], cell["value_as_printed"], cell["value_origin"]) == \
        ("granted__natural_person", good, good + 5, "manual")
    (adj,) = out.report_adjustments
    assert (adj["parse_status"], adj["n_errors"], adj["rechecked"], adj["n_corrected_cells"]) == ("ok", 0, True, 1)
    origins = [(c["check_origin"], c["check_id"]) for c in out.derived_checks]
    assert ("recheck", "X.S3") in origins  # text checks survive the re-check
    assert ("correction", "CORRECTION.applied") in origins
    assert not any(c["severity"] == "error" for c in out.derived_checks)
    assert adj["n_warnings"] == sum(1 for c in out.derived_checks if c["severity"] == "warn")
    (row,) = out.corrections
    assert (row["status"], row["report_id"], row["errors_before"], row["errors_after"], row["corrections_file"]) == \
        ("applied", "r01-2021", ["T3.H2"], [], "corr.yaml")


def test_stale_corrections_are_reported_not_applied():
    reports = listing(make_panel(n_agencies=2))
    before = copy.deepcopy(reports)
    corr = parse_corrections([
        {"source_path": "r00-2020.html", "cell": "granted__total", "value": 1, "original": -99, "reason": "r",
         "who": "w", "when": "2024-05-01"},
        {"report": "nosuchreport", "cell": "granted__total", "value": 1, "original": 0, "reason": "r", "who": "w",
         "when": "2024-05-01"},
    ])
    out = A.adjust(reports, corr)
    assert out.cell_adjustments == []
    assert [(c["status"], c["report_id"]) for c in out.corrections] == [("stale", "r00-2020"), ("stale", None)]
    assert "original differs" in out.corrections[0]["stale_reason"]
    assert out.corrections[1]["stale_reason"] == "report not found"
    assert [(c["report_id"], c["check_id"], c["severity"]) for c in out.derived_checks] == [
        ("r00-2020", "CORRECTION.stale", "warn")]
    (adj,) = out.report_adjustments
    assert (adj["report_id"], adj["n_errors"], adj["n_warnings"], adj["rechecked"]) == ("r00-2020", 0, 1, False)
    assert reports == before  # inputs untouched
    assert out.summary["n_stale"] == 2


def test_canonical_copy_follows_the_dbt_rule():
    base = {"agency_id": "a", "report_year": 2023, "status": "ok", "parse_status": "ok", "n_errors": 0,
            "content_copy": 1}
    reps = [
        {**base, "report_id": "1", "source_path": "z.txt", "source_format": "txt", "publish_date": "2024-02-01"},
        {**base, "report_id": "2", "source_path": "y.html", "source_format": "html", "publish_date": "2024-02-01"},
        {**base, "report_id": "3", "source_path": "x.html", "source_format": "html", "publish_date": "2024-01-01"},
        {**base, "report_id": "4", "source_path": "w.html", "source_format": "html", "publish_date": "2024-03-01",
         "status": "invariant_errors", "n_errors": 1},
        {**base, "report_id": "5", "source_path": "v.html", "source_format": "html", "publish_date": None},
    ]
    A.mark_canonical(reps)
    assert [r["report_id"] for r in reps if r["is_canonical"]] == ["2"]  # clean, latest date, html before txt


def test_load_reports_mirrors_the_report_ids_and_loads_only_what_can_matter(tmp_path, monkeypatch):
    agencies = {b"a-2022": ("大连市教育局", 2022), b"a-2023": ("大连市教育局", 2023), b"solo": ("沈阳市民政局", 2023)}

    def fake_parse(data, name):
        agency, year = agencies[data]
        return parse_result(name, "ok", year=year, agency=agency) | {"value_origin": {"granted__total": "derived"}}

    monkeypatch.setattr(I, "_PARSE", fake_parse)
    landing = tmp_path / "landing"
    landing.mkdir()
    for name, data in (("a1.txt", b"a-2022"), ("a2.txt", b"a-2023"), ("b.txt", b"solo"), ("c.txt", b"a-2023")):
        (landing / name).write_bytes(data)
    con = I.connect(tmp_path / "w.duckdb")
    prev, cached = I.previous_state(con)
    plan = I.plan_reads(I.scan_landing(landing), prev, cached)
    lst, tables, _ = I.parse_new(landing, plan, cached, jobs=1)
    I.write_batch(con, lst, tables)
    I.load_batch(con)
    assert con.execute("select tbl, cell, origin from raw.cell_origins limit 1").fetchall() == [
        ("t3", "granted__total", "derived")]
    corr = parse_corrections([{"source_path": "b.txt", "cell": "granted__total", "value": 1, "original": 0,
                               "reason": "r", "who": "w", "when": "2024-05-01"}])
    reports = {r["source_path"]: r for r in A.load_reports(con, corr)}

    def sha(b: bytes) -> str:
        return hashlib.sha256(b).hexdigest()

    assert reports["a2.txt"]["report_id"] == sha(b"a-2023")[:16]
    assert reports["c.txt"]["report_id"] == sha(b"a-2023")[:16] + "-" + sha(b"c.txt")[:8]  # identical copy
    assert reports["a1.txt"]["agency_id"] == reports["a2.txt"]["agency_id"] != reports["b.txt"]["agency_id"]
    # the agency with two reports and the corrected report are loaded; the identical copy is not
    assert {p for p, r in reports.items() if r["loaded"]} == {"a1.txt", "a2.txt", "b.txt"}
    a1 = reports["a1.txt"]
    assert a1["t3"]["granted__total"] == parse_result("x", "ok")["t3"]["granted__total"]
    assert all(type(v) is int for k, v in a1["t2"].items() if not k.endswith("fee_amount_10k_cny"))
    assert a1["template_detected"] == {"t2": "gov2021", "t3": "gov2021"}
    assert a1["ambiguous"] == {"t2.rules": [{}, {}]}
    # adjust + write: the tables exist with their schema
    counts = A.write_tables(con, A.adjust(list(reports.values()), corr))
    assert set(counts) == set(A.SCHEMAS)
    cols = [r[0] for r in con.execute("describe raw.cell_adjustments").fetchall()]
    assert cols == [f.name for f in A.SCHEMAS["cell_adjustments"]]
    con.close()


@pytest.mark.parametrize("t2,version", [({"rules__in_force": 1}, "gov2021"), ({"licensing__items_change": 1}, "gov2019"),
                                        ({}, None), (None, None)])
def test_t2_version_from_cell_codes(t2, version):
    assert A.t2_version_of(t2) == version


def test_flatten_keeps_the_parsers_value_origin():
    res = parse_result("x.txt") | {"value_origin": {"granted__total": "derived", "admin_review__total": "blank_as_zero",
                                                    "rules__in_force": "printed", "nope__x": "derived"}}
    assert sorted(I.flatten(res)["origins"]) == [("t3", "granted__total", "derived"),
                                                 ("t4", "admin_review__total", "blank_as_zero")]


def test_duckdb_report_id_expression_matches_python():
    """The SQL both dbt and adjust.LISTING_SQL use: sha256(varchar) is the hex of the UTF-8 bytes."""
    con = duckdb.connect()
    path = "子目录/鞍山.txt"
    assert con.execute("select left(sha256(?), 8)", [path]).fetchone()[0] == hashlib.sha256(path.encode()).hexdigest()[:8]
