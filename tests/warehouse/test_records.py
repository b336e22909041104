"""The report record (lib/warehouse/record.py): identity, status, corrections, cross-report checks and resolutions,
built once from the parse cache and written to DuckDB — driven end to end through a landing folder."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.corrections import parse_corrections
from dagster_project.lib.warehouse import findings, ingest, landing, record, store
from dagster_project.lib.warehouse.schema import RAW_TABLES
from tests.unit.test_crossyear import make_panel
from tests.warehouse.test_ingest import json_parser, parse_result, run_ingest, write_reports

NAMES = ["财政", "教育", "民政", "交通", "水利", "农业", "商务", "文化", "卫生", "审计", "统计", "林业"]


def panel_results(n_agencies: int = 4) -> dict[str, dict]:
    """make_panel's consistent multi-year reports as parse results, one file each (``r03-2022.html`` …)."""
    out = {}
    for r in make_panel(n_agencies=n_agencies):
        a = int(r["agency_id"][2:])
        out[f"{r['report_id']}.html"] = parse_result(
            f"{r['report_id']}.html", agency=f"鞍山市{NAMES[a]}局", year=r["report_year"], t2=r["t2"], t3=r["t3"],
            t4=r["t4"], publish_date=f"{r['report_year'] + 1}-01-31", source_format="html")
    return out


class Built:
    def __init__(self, con: duckdb.DuckDBPyConnection, result: record.BuildResult, land: Path):
        self.con, self.result, self.landing = con, result, land

    def q(self, sql: str, *params):
        return self.con.execute(sql, list(params)).fetchall()

    def report(self, path: str) -> dict:
        cur = self.con.execute("select * from raw.reports where source_path = ?", [path])
        cols = [d[0] for d in cur.description]
        return dict(zip(cols, cur.fetchone()))


def build(tmp_path: Path, results: dict[str, dict] | None, monkeypatch, corrections=None, raw: dict | None = None
          ) -> Built:
    """Write the files (parse results as JSON, or raw bytes), ingest them with the JSON stand-in parser and build
    the records into a DuckDB file; a second call on the same tmp_path is the next run."""
    monkeypatch.setattr(ingest, "_PARSE", json_parser)
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    land.mkdir(parents=True, exist_ok=True)
    write_reports(land, results or {})
    for name, data in (raw or {}).items():
        (land / name).write_bytes(data)
    run_ingest(land, cdir)
    files, skipped = landing.scan_landing(land)
    with store.RecordFiles(tmp_path / "records") as out:
        res = record.build(files, skipped, cdir, ingest.parser_version(), out, corrections, "corr.yaml")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    store.load_records(con, out)
    return Built(con, res, land)


def test_every_file_has_one_record_and_the_counts_equal_the_check_rows(tmp_path, monkeypatch):
    results = panel_results(2)
    results["bad.txt"] = parse_result("bad.txt", status="invariant_errors")
    results["junk.pdf"] = parse_result("junk.pdf", status="unreadable")
    b = build(tmp_path, results, monkeypatch)
    assert b.q("select count(*), count(distinct source_path), count(distinct report_id) from raw.reports") == [
        (len(results), len(results), len(results))]
    assert b.q("select count(*) from raw.reports r left join (select report_id, count(*) filter (where severity = "
               "'error') e, count(*) filter (where severity = 'warn') w from raw.checks group by 1) c using "
               "(report_id) where r.n_errors <> coalesce(c.e, 0) or r.n_warnings <> coalesce(c.w, 0)") == [(0,)]
    # check_seq numbers each report's rows 1..n
    assert b.q("select count(*) from (select report_id, max(check_seq) m, count(*) n, count(distinct check_seq) d "
               "from raw.checks group by 1) where m <> n or d <> n") == [(0,)]
    assert dict(b.q("select status, count(*) from raw.reports group by 1")) == {
        "published": 10, "quarantined": 1, "unreadable": 1}
    assert b.result.status == {"published": 10, "quarantined": 1, "unreadable": 1}
    # every raw table exists with the declared schema, also when empty
    for t in RAW_TABLES:
        assert [r[0] for r in b.q(f"describe raw.{t.name}")] == t.names


def test_identity_copies_and_duplicates(tmp_path, monkeypatch):
    res = parse_result("a.txt")
    b = build(tmp_path, {"a.txt": res, "sub/copy.txt": res}, monkeypatch, raw={"e1.txt": b"", "e2.txt": b""})
    data = (b.landing / "a.txt").read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    a, c = b.report("a.txt"), b.report("sub/copy.txt")
    assert a["report_id"] == sha[:16] and a["content_copy"] == 1 and a["status"] == "published"
    assert c["report_id"] == sha[:16] + "-" + hashlib.sha256(b"sub/copy.txt").hexdigest()[:8]
    assert (c["status"], c["duplicate_reason"], c["canonical_report_id"]) == ("duplicate", "identical_content",
                                                                            a["report_id"])
    # empty files are unreadable (with the reason), never duplicates of each other
    e1, e2 = b.report("e1.txt"), b.report("e2.txt")
    assert (e1["status"], e1["error"], e2["status"], e2["error"]) == ("unreadable", "empty file", "unreadable",
                                                                      "empty file")
    assert e2["content_copy"] == 2 and e2["canonical_report_id"] == e2["report_id"]


def test_canonical_copy_of_an_agency_year(tmp_path, monkeypatch):
    base = dict(agency="大连市教育局", year=2023)
    results = {
        "z.txt": parse_result("z.txt", publish_date="2024-02-01", **base),
        "y.html": parse_result("y.html", publish_date="2024-02-01", source_format="html", **base),
        "x.html": parse_result("x.html", publish_date="2024-01-01", source_format="html", **base),
        "w.html": parse_result("w.html", status="invariant_errors", publish_date="2024-03-01", source_format="html",
                               **base),
        "v.html": parse_result("v.html", publish_date=None, source_format="html", **base),
    }
    for i, r in enumerate(results.values()):  # different numbers, so X.S10 names the copies
        r["t3"] = dict(r["t3"], granted__natural_person=100 + i)
    b = build(tmp_path, results, monkeypatch)
    status = dict(b.q("select source_path, status from raw.reports"))
    assert status == {"y.html": "published", "z.txt": "duplicate", "x.html": "duplicate", "w.html": "duplicate",
                      "v.html": "duplicate"}  # clean first, then the latest date, then html before txt
    y = b.report("y.html")["report_id"]
    assert {r[0] for r in b.q("select canonical_report_id from raw.reports")} == {y}
    assert b.q("select count(*) from raw.checks where check_id = 'X.S10'")[0][0] == 8  # 4 pairs, both sides


def test_a_parsed_report_without_a_year_is_quarantined_by_a_filing_check(tmp_path, monkeypatch):
    b = build(tmp_path, {"noyear.txt": parse_result("noyear.txt", year=None)}, monkeypatch)
    r = b.report("noyear.txt")
    assert (r["status"], r["n_errors"], r["report_year"]) == ("quarantined", 1, None)
    assert b.q("select check_origin, check_id, severity from raw.checks") == [("record", "P.YEAR", "error")]


def test_consistent_panel_has_no_cross_report_rows(tmp_path, monkeypatch):
    b = build(tmp_path, panel_results(), monkeypatch)
    assert b.q("select count(*) from raw.checks") == [(0,)]
    assert b.q("select distinct value_origin from raw.t3_cells") == [("printed",)]
    assert findings.cross_report_totals(b.con) == ({}, 0)


def test_carry_over_break_is_warned_on_exactly_that_report(tmp_path, monkeypatch):
    results = panel_results()
    r = results["r03-2022.html"]
    r["t3"]["carried_in__natural_person"] += 3
    r["t3"]["carried_in__total"] += 3
    r["checks"] = [{"check_id": "X.S3", "severity": "warn", "cells": [], "expected": 1, "actual": 2, "message": "m"}]
    b = build(tmp_path, results, monkeypatch)
    rows = b.q("select source_path, check_origin, check_id, severity, cells, check_seq from raw.checks "
               "join raw.reports using (report_id) order by source_path, check_seq")
    assert rows == [("r03-2022.html", "parse", "X.S3", "warn", [], 1),
                    ("r03-2022.html", "cross_report", "X.S1", "warn", ["carried_in__natural_person"], 2),
                    ("r03-2022.html", "cross_report", "X.S1", "warn", ["carried_in__total"], 3)]
    rep = b.report("r03-2022.html")
    assert (rep["status"], rep["n_errors"], rep["n_warnings"]) == ("published", 0, 3)


def test_ambiguous_part_resolved_by_the_neighbouring_year(tmp_path, monkeypatch):
    results = panel_results(6)
    r = results["r05-2021.html"]
    truth = {k: r["t2"][k] for k in ("rules__issued", "rules__repealed", "rules__in_force")}
    wrong = {"rules__issued": truth["rules__issued"] + 1, "rules__repealed": truth["rules__repealed"],
             "rules__in_force": truth["rules__in_force"] + 40}
    r["t2"].update(wrong)  # the parser preferred the wrong reading
    r["ambiguous"] = {"t2.rules": [wrong, truth]}
    b = build(tmp_path, results, monkeypatch)
    cells = {row[0]: row[1:] for row in b.q(
        "select item || '__' || measure, value, value_as_printed, value_origin, origin_note from raw.t2_cells "
        "join raw.reports using (report_id) where source_path = 'r05-2021.html' and item = 'rules'")}
    ids = {y: b.report(f"r05-{y}.html")["report_id"] for y in (2020, 2022)}
    for k, v in truth.items():
        assert cells[k][:3] == (v, wrong[k], "resolved")
        assert cells[k][3].startswith(f"T2.S2 with 2020 report {ids[2020]} and 2022 report {ids[2022]}")
    rep = b.report("r05-2021.html")
    assert (rep["n_ambiguous"], rep["ambiguous_json"], rep["n_resolved_parts"]) == (0, None, 1)
    assert b.q("select count(*) from raw.checks") == [(0,)]  # the chain holds with the resolved reading


def test_correction_publishes_the_rechecked_report_and_keeps_the_printed_value(tmp_path, monkeypatch):
    results = panel_results(2)
    r = results["r01-2021.html"]
    good = r["t3"]["granted__natural_person"]
    r["t3"]["granted__natural_person"] = good + 5
    r["status"] = "invariant_errors"
    r["checks"] = [{"check_id": "T3.H2", "severity": "error", "cells": ["granted__total"], "expected": good + 5,
                    "actual": good, "message": "row"},
                   {"check_id": "X.S3", "severity": "warn", "cells": [], "expected": 1, "actual": 2, "message": "text"}]
    corr = parse_corrections([{"source_path": "r01-2021.html", "cell": "granted__natural_person", "value": good,
                               "original": good + 5, "reason": "typo", "who": "me", "when": "2024-05-01"}])
    b = build(tmp_path, results, monkeypatch, corr)
    rep = b.report("r01-2021.html")
    assert (rep["status"], rep["parse_status"], rep["n_errors"], rep["rechecked"], rep["n_corrected_cells"]) == \
        ("published", "ok", 0, True, 1)
    assert b.q("select value, value_as_printed, value_origin, origin_note like 'manual correction #1 by me%' "
               "from raw.t3_cells where report_id = ? and row_code = 'granted' and col_code = 'natural_person'",
               rep["report_id"]) == [(good, good + 5, "manual", True)]
    origins = b.q("select check_origin, check_id, severity from raw.checks where report_id = ? order by check_seq",
                  rep["report_id"])
    assert ("recheck", "X.S3", "warn") in origins  # text checks survive the re-check
    assert ("correction", "CORRECTION.applied", "warn") in origins
    assert not any(o[0] == "parse" or o[2] == "error" for o in origins)
    assert rep["n_warnings"] == sum(1 for o in origins if o[2] == "warn")
    assert b.q("select status, report_id, errors_before, errors_after, corrections_file from raw.corrections") == [
        ("applied", rep["report_id"], ["T3.H2"], [], "corr.yaml")]


def test_stale_corrections_are_reported_not_applied(tmp_path, monkeypatch):
    results = panel_results(2)
    before = copy.deepcopy(results)
    corr = parse_corrections([
        {"source_path": "r00-2020.html", "cell": "granted__total", "value": 1, "original": 123456, "reason": "r",
         "who": "w", "when": "2024-05-01"},
        {"report": "nosuchreport", "cell": "granted__total", "value": 1, "original": 0, "reason": "r", "who": "w",
         "when": "2024-05-01"},
    ])
    b = build(tmp_path, results, monkeypatch, corr)
    rid = b.report("r00-2020.html")["report_id"]
    rows = b.q("select status, report_id, stale_reason from raw.corrections order by entry_no")
    assert [r[:2] for r in rows] == [("stale", rid), ("stale", None)]
    assert "original differs" in rows[0][2] and rows[1][2] == "report not found"
    assert b.q("select report_id, check_origin, check_id, severity from raw.checks") == [
        (rid, "correction", "CORRECTION.stale", "warn")]
    rep = b.report("r00-2020.html")
    assert (rep["status"], rep["n_errors"], rep["n_warnings"], rep["rechecked"]) == ("published", 0, 1, False)
    assert b.q("select count(*) from raw.t3_cells where value_origin = 'manual'") == [(0,)]
    assert results == before
    assert b.result.corrections["n_stale"] == 2


def test_removed_files_leave_and_changed_files_replace_their_content(tmp_path, monkeypatch):
    results = {"a.txt": parse_result("a.txt"), "b.txt": parse_result("b.txt", agency="沈阳市民政局")}
    build(tmp_path, results, monkeypatch)
    (tmp_path / "landing" / "b.txt").unlink()
    changed = parse_result("a.txt", status="invariant_errors")
    b = build(tmp_path, {"a.txt": changed}, monkeypatch)
    assert b.q("select source_path, status, n_errors from raw.reports") == [("a.txt", "quarantined", 1)]
    sha = hashlib.sha256((tmp_path / "landing" / "a.txt").read_bytes()).hexdigest()
    assert b.report("a.txt")["report_id"] == sha[:16]
    assert b.q("select distinct report_id from raw.t3_cells") == [(sha[:16],)]


def test_a_failed_build_leaves_the_previous_records(tmp_path, monkeypatch):
    b = build(tmp_path, {"a.txt": parse_result("a.txt")}, monkeypatch)
    b.con.close()

    def broken(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(record, "decide_status", broken)
    with pytest.raises(RuntimeError):
        build(tmp_path, {"b.txt": parse_result("b.txt", agency="沈阳市民政局")}, monkeypatch)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert con.execute("select source_path from raw.reports").fetchall() == [("a.txt",)]


def test_bounded_panel_batches_give_the_same_checks(tmp_path, monkeypatch):
    results = panel_results(6)
    results["r02-2022.html"]["t3"]["carried_in__total"] += 1
    b1 = build(tmp_path / "one", copy.deepcopy(results), monkeypatch)
    monkeypatch.setattr(record, "PANEL_BATCH", 5)  # every agency in its own batch
    b2 = build(tmp_path / "many", copy.deepcopy(results), monkeypatch)
    q = "select check_id, cells, expected, actual from raw.checks order by all"
    assert b1.q(q) == b2.q(q) and b1.q(q)
