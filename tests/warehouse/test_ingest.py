"""Scanning, planning, flattening and bulk loading of parse results (lib/warehouse/ingest.py)."""

from __future__ import annotations

import os

import duckdb

from dagster_project.lib.warehouse import ingest as I
from tests.warehouse.factories import t2_cells, t3_cells, t4_cells


def parse_result(name: str, status: str = "ok", year: int = 2023, agency: str = "某市人民政府办公室") -> dict:
    checks = []
    if status == "invariant_errors":
        checks = [{"check_id": "T3.H2", "severity": "error", "cells": ["granted__total"], "expected": 1,
                   "actual": 2, "message": "row total"},
                  {"check_id": "X.S3", "severity": "warn", "cells": ["received_new__total"], "expected": 3,
                   "actual": 2, "message": "partial"}]
    readable = status in ("ok", "invariant_errors")
    return {
        "source_path": name, "source_format": "txt", "status": status,
        "error": None if readable else "binary data",
        "agency_name": agency if readable else None, "report_year": year if readable else None,
        "template_version": "gov2021" if readable else None, "publish_date": "2024-01-31" if readable else None,
        "t2": t2_cells() if readable else None, "t3": t3_cells() if readable else None,
        "t4": t4_cells() if readable else None, "ambiguous": {"t2.rules": [{}, {}]} if readable else {},
        "suggested_repair": {"cells": {"granted__total": 1}, "message": "one cell"} if checks else None,
        "checks": checks,
    }


def test_scan_skips_hidden_files_and_is_sorted(tmp_path):
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.html").write_text("a")
    (tmp_path / ".gitkeep").write_text("")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.txt").write_text("x")
    assert [f.source_path for f in I.scan_landing(tmp_path)] == ["b.txt", "sub/a.html"]
    assert I.ext_format("x/y.HTM") == "html" and I.ext_format("noext") == "unknown"


def test_plan_reads_only_changed_or_uncached_files(tmp_path):
    for n in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / n).write_text(n)
    listing = I.scan_landing(tmp_path)
    a, b, c = listing
    previous = {"a.txt": (a.size_bytes, a.mtime_ns, "sha-a", "sha-a.txt"),
                "b.txt": (b.size_bytes, b.mtime_ns - 1, "sha-b", "sha-b.txt"),  # touched
                "c.txt": (c.size_bytes, c.mtime_ns, "sha-c", "sha-c.txt")}
    plan = I.plan_reads(listing, previous, cached_keys={"sha-a.txt", "sha-b.txt"})  # c: parser changed
    assert [f.source_path for f in plan.to_read] == ["b.txt", "c.txt"]
    assert plan.known == {"a.txt": ("sha-a", "sha-a.txt")}


def test_flatten_keeps_values_checks_and_repair():
    flat = I.flatten(parse_result("x.txt", "invariant_errors"))
    report = dict(zip([f for f, _ in I.REPORT_FIELDS][3:], flat["report"]))
    assert report["parse_status"] == "invariant_errors" and report["n_errors"] == 1 and report["n_warnings"] == 1
    assert report["suggested_repair"] == "granted__total = 1 (one cell)"
    assert report["n_ambiguous"] == 1
    assert ("received_new", "total", t3_cells()["received_new__total"]) in flat["t3"]
    assert flat["checks"][0][:4] == (1, "T3.H2", "error", ["granted__total"])


def test_read_and_parse_hashes_the_bytes_it_parses(tmp_path, monkeypatch):
    seen = []

    def fake_parse(data: bytes, name: str) -> dict:
        seen.append((data, name))
        return parse_result(name)

    monkeypatch.setattr(I, "_PARSE", fake_parse)
    (tmp_path / "r.txt").write_bytes(b"report bytes")
    I._init_worker(frozenset())
    rel, sha, key, flat = I.read_and_parse((str(tmp_path / "r.txt"), "r.txt"))
    import hashlib

    assert sha == hashlib.sha256(b"report bytes").hexdigest() and key == f"{sha}.txt"
    assert seen == [(b"report bytes", "r.txt")] and flat is not None
    I._init_worker(frozenset({key}))  # cached content: read and hashed, not parsed again
    assert I.read_and_parse((str(tmp_path / "r.txt"), "r.txt"))[3] is None
    assert len(seen) == 1


def test_parser_crash_becomes_unreadable(tmp_path, monkeypatch):
    def boom(data, name):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(I, "_PARSE", boom)
    (tmp_path / "r.txt").write_bytes(b"x")
    I._init_worker(frozenset())
    flat = I.read_and_parse((str(tmp_path / "r.txt"), "r.txt"))[3]
    assert flat["report"][0] == "unreadable" and "kaboom" in flat["report"][1]


def test_load_batch_is_incremental_and_bulk(tmp_path, monkeypatch):
    monkeypatch.setattr(I, "_PARSE", lambda data, name: parse_result(name, "unreadable" if b"junk" in data else "ok"))
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.txt").write_bytes(b"report a")
    (landing / "b.txt").write_bytes(b"junk")
    (landing / "c.txt").write_bytes(b"report a")  # identical content: parsed once
    db = tmp_path / "w.duckdb"

    def one_run():
        con = I.connect(db)
        prev, cached = I.previous_state(con)
        plan = I.plan_reads(I.scan_landing(landing), prev, cached)
        listing, tables, stats = I.parse_new(landing, plan, cached, jobs=1)
        I.write_batch(con, listing, tables)
        counts = I.load_batch(con)
        con.close()
        return stats, counts

    stats, counts = one_run()
    assert (stats.n_read, stats.n_parsed) == (3, 2)
    assert counts["landing_files"] == 3 and counts["parsed_reports"] == 2
    assert counts["t3_cells"] == len(t3_cells()) and counts["codes"] > 50
    stats, counts2 = one_run()  # nothing changed: nothing read, nothing parsed, same rows
    assert (stats.n_read, stats.n_parsed) == (0, 0) and counts2 == counts
    (landing / "d.txt").write_bytes(b"report d")
    os.remove(landing / "b.txt")
    stats, counts3 = one_run()
    assert (stats.n_read, stats.n_parsed) == (1, 1)
    assert counts3["landing_files"] == 3 and counts3["parsed_reports"] == 3  # the cache keeps b's parse
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from information_schema.tables where table_schema = 'batch'").fetchone() == (0,)
    con.close()
