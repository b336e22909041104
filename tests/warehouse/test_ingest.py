"""Landing scan, change detection, fault isolation and the checkpointed parse cache (lib/warehouse/ingest.py,
landing.py, cache.py)."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dagster_project.lib.warehouse import cache, ingest, landing
from dagster_project.lib.parsing.template import MAX_COUNT as COUNT_MAX
from dagster_project.lib.warehouse.schema import CACHE_SCHEMA
from tests.warehouse.factories import t2_cells, t3_cells, t4_cells


def parse_result(name: str, status: str = "ok", year: int | None = 2023, agency: str = "某市人民政府办公室",
                 **extra) -> dict:
    checks = []
    if status == "invariant_errors":
        checks = [{"check_id": "T3.H2", "severity": "error", "cells": ["granted__total"], "expected": 1,
                   "actual": 2, "message": "row total"},
                  {"check_id": "X.S3", "severity": "warn", "cells": ["received_new__total"], "expected": 3,
                   "actual": 2, "message": "partial"}]
    readable = status in ("ok", "invariant_errors")
    out = {
        "source_path": name, "source_format": "txt", "status": status,
        "error": None if readable else "binary data",
        "agency_name": agency if readable else None, "report_year": year if readable else None,
        "template_version": "gov2021" if readable else None, "publish_date": "2024-01-31" if readable else None,
        "t2": t2_cells() if readable else None, "t3": t3_cells() if readable else None,
        "t4": t4_cells() if readable else None, "ambiguous": {},
        "suggested_repair": {"cells": {"granted__total": 1}, "message": "one cell"} if checks else None,
        "checks": checks, "template_detected": {"t2": "gov2021", "t3": "gov2021"},
    }
    out.update(extra)
    return out


def json_parser(data: bytes, name: str) -> dict:
    """A stand-in parser: the file holds its parse result as JSON (tests choose every field)."""
    return json.loads(data)


def write_reports(folder: Path, results: dict[str, dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, res in results.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(res, ensure_ascii=False), encoding="utf-8")


def run_ingest(landing_dir: Path, cache_dir: Path, jobs: int = 1) -> ingest.IngestStats:
    files, _ = landing.scan_landing(landing_dir)
    plan = ingest.plan_reads(files, cache.load_state(cache_dir, ingest.parser_version()))
    return ingest.read_and_parse(plan, cache_dir, jobs=jobs)


@pytest.fixture
def fake_parser(monkeypatch):
    monkeypatch.setattr(ingest, "_PARSE", json_parser)


# ---------------------------------------------------------------- the landing folder


def test_scan_lists_every_file_hidden_ones_included_sorted(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for rel in ("z.txt", "a.html", "b/c.pdf", ".hidden_report.htm", ".hidden/x.txt"):
        (tmp_path / rel).write_text("x")
    files, skipped = landing.scan_landing(tmp_path)
    assert [f.source_path for f in files] == [".hidden/x.txt", ".hidden_report.htm", "a.html", "b/c.pdf", "z.txt"]
    assert skipped == []
    assert all(f.ctime_ns > 0 and f.inode > 0 for f in files)


def test_scan_skips_what_it_must_never_open_and_says_why(tmp_path):
    land = tmp_path / "landing"
    land.mkdir()
    (land / "ok.txt").write_text("x")
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    os.mkfifo(land / "pipe.txt")
    os.symlink(outside, land / "out-link.txt")
    os.symlink(land / "ok.txt", land / "in-link.txt")
    os.symlink(land / "missing.txt", land / "dangling.txt")
    os.symlink(land / "loop-b", land / "loop-a")
    os.symlink(land / "loop-a", land / "loop-b")
    os.symlink(land, land / "self-dir")
    os.symlink("/dev/zero", land / "zero.txt")
    bad = os.fsencode(land) + b"/r\xe9port-\xff.txt"
    with open(bad, "wb") as fh:
        fh.write(b"non-utf8 name")
    files, skipped = landing.scan_landing(land)
    assert [f.source_path for f in files] == ["in-link.txt", "ok.txt", "r\\xe9port-\\xff.txt"]
    reasons = {s.source_path: s.reason for s in skipped}
    assert set(reasons) == {"pipe.txt", "out-link.txt", "dangling.txt", "loop-a", "loop-b", "self-dir", "zero.txt"}
    assert reasons["pipe.txt"].startswith("FIFO")
    assert reasons["out-link.txt"].startswith("symlink out of the landing folder")
    assert reasons["zero.txt"].startswith("symlink out of the landing folder")
    assert reasons["dangling.txt"].startswith("dangling symlink")
    assert reasons["loop-a"] == reasons["loop-b"] == "symlink loop"
    assert reasons["self-dir"].startswith("symlinked folder")
    # the escaped name is stored; the real bytes are still what is opened
    f = next(f for f in files if f.source_path.startswith("r"))
    assert open(f.fs_path, "rb").read() == b"non-utf8 name"


def test_listing_round_trips(tmp_path):
    (tmp_path / "l").mkdir()
    (tmp_path / "l" / "a.txt").write_text("x")
    os.mkfifo(tmp_path / "l" / "p")
    files, skipped = landing.scan_landing(tmp_path / "l")
    landing.save_listing(tmp_path / "listing.parquet", files, skipped)
    assert landing.load_listing(tmp_path / "listing.parquet") == (files, skipped)


# ---------------------------------------------------------------- reading, change detection


def test_second_run_reads_nothing_and_a_same_size_edit_with_restored_mtime_is_read(tmp_path, fake_parser):
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    write_reports(land, {"a.txt": parse_result("a.txt"), "b.txt": parse_result("b.txt", year=2022)})
    first = run_ingest(land, cdir)
    assert (first.n_read, first.n_parsed, first.n_cache_hits) == (2, 2, 0)
    assert run_ingest(land, cdir).n_read == 0
    p = land / "a.txt"
    st = p.stat()
    text = p.read_text(encoding="utf-8").replace("2023", "2021")  # same size, new content
    assert len(text.encode()) == st.st_size
    p.write_text(text, encoding="utf-8")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime restored: only ctime tells
    assert p.stat().st_mtime_ns == st.st_mtime_ns and p.stat().st_size == st.st_size
    third = run_ingest(land, cdir)
    assert (third.n_read, third.n_parsed) == (1, 1)
    state = cache.load_state(cdir, ingest.parser_version())
    assert state.reads["a.txt"].content_sha256 != state.reads["b.txt"].content_sha256
    assert len(state.parsed_keys) == 3


def test_a_copy_of_parsed_content_is_hashed_not_parsed(tmp_path, fake_parser):
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    write_reports(land, {"a.txt": parse_result("a.txt")})
    run_ingest(land, cdir)
    (land / "copy.txt").write_bytes((land / "a.txt").read_bytes())
    st = run_ingest(land, cdir)
    assert (st.n_read, st.n_parsed, st.n_cache_hits) == (1, 0, 1)


def test_a_new_parser_version_parses_again(tmp_path, fake_parser, monkeypatch):
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    write_reports(land, {"a.txt": parse_result("a.txt")})
    run_ingest(land, cdir)
    monkeypatch.setattr(ingest, "parser_version", lambda: "another-version")
    st = run_ingest(land, cdir)
    assert (st.n_read, st.n_parsed) == (1, 1)


# ---------------------------------------------------------------- fault isolation


def _rows(cdir: Path) -> dict[str, dict]:
    out = {}
    for p in cache.chunk_files(cdir):
        for r in pq.read_table(p).to_pylist():
            out[r["source_path"]] = r
    return out


def test_a_parser_that_raises_makes_that_file_unreadable_only(tmp_path, monkeypatch):
    def boom_on_b(data, name):
        if name == "b.txt":
            raise RuntimeError("boom")
        return json_parser(data, name)

    monkeypatch.setattr(ingest, "_PARSE", boom_on_b)
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    write_reports(land, {n: parse_result(n) for n in ("a.txt", "b.txt", "c.txt")})
    st = run_ingest(land, cdir)
    assert st.statuses == {"ok": 2, "unreadable": 1}
    rows = _rows(cdir)
    assert rows["b.txt"]["parse_status"] == "unreadable"
    assert rows["b.txt"]["error"] == "internal_error: RuntimeError: boom"
    assert rows["a.txt"]["parse_status"] == rows["c.txt"]["parse_status"] == "ok"


@pytest.mark.parametrize("bad", [27131523112703512526, 10**9, float("nan"), "abc", [1, 2], True, 7.5])
def test_a_value_outside_storage_or_bounds_is_null_with_a_P_BOUND_error(tmp_path, monkeypatch, bad):
    res = parse_result("a.txt")
    res["t4"]["litigation_after_review__total"] = bad
    monkeypatch.setattr(ingest, "_PARSE", lambda data, name: res)
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    (land).mkdir()
    (land / "a.txt").write_text("x")
    run_ingest(land, cdir)
    row = _rows(cdir)["a.txt"]
    assert row["parse_status"] == "invariant_errors"
    cell = next(c for c in row["cells"] if (c["row"], c["col"]) == ("litigation_after_review", "total"))
    assert cell["value"] is None
    (check,) = [c for c in row["checks"] if c["check_id"] == "P.BOUND"]
    assert check["severity"] == "error" and check["cells"] == ["litigation_after_review__total"]
    assert all(c["value"] is None or abs(c["value"]) <= COUNT_MAX for c in row["cells"])


def test_signed_and_money_cells_have_their_own_bounds():
    res = parse_result("a.txt", t2={"licensing__items_change": -5, "central_procurement__procurement_amount_cny":
                                    3_000_000_000.0, "admin_fees__fee_amount_10k_cny": 12.5})
    flat = ingest.flatten_result(res)
    cells = flat["cells"]
    assert {(r, v) for t, r, v in zip(cells["tbl"], cells["row"], cells["value"]) if t == "t2"} == {
        ("licensing", -5.0), ("central_procurement", 3e9), ("admin_fees", 12.5)}
    assert not any(c["check_id"] == "P.BOUND" for c in flat["checks"])


def test_a_parse_that_runs_too_long_is_unreadable(tmp_path, monkeypatch):
    import time

    def slow(data, name):
        time.sleep(5)
        return json_parser(data, name)

    monkeypatch.setattr(ingest, "_PARSE", slow)
    monkeypatch.setattr(ingest, "FILE_TIMEOUT_S", 0.2)
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    write_reports(land, {"a.txt": parse_result("a.txt")})
    run_ingest(land, cdir)
    assert _rows(cdir)["a.txt"]["error"] == "internal_error: FileTimeout: parsing took longer than 0.2 s"


def test_empty_and_oversized_files_are_unreadable_with_the_reason(tmp_path, fake_parser, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 1000)
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    land.mkdir()
    (land / "empty1.txt").write_bytes(b"")
    (land / "empty2.html").write_bytes(b"")
    (land / "big.txt").write_bytes(b"x" * 1001)
    run_ingest(land, cdir)
    rows = _rows(cdir)
    assert rows["empty1.txt"]["error"] == rows["empty2.html"]["error"] == "empty file"
    assert rows["big.txt"]["error"].startswith("file too large: 1,001 bytes")


def _crash_on_b(data, name):
    if name == "b.txt":
        os.kill(os.getpid(), signal.SIGKILL)  # the worker process dies
    return json_parser(data, name)


def test_a_file_that_kills_its_worker_is_unreadable_and_the_rest_is_parsed(tmp_path):
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    names = [f"f{i:03d}.txt" for i in range(60)] + ["b.txt"]
    write_reports(land, {n: parse_result(n, year=2000 + i % 20) for i, n in enumerate(names)})
    files, _ = landing.scan_landing(land)
    plan = ingest.plan_reads(files, cache.load_state(cdir, ingest.parser_version()))
    st = ingest.read_and_parse(plan, cdir, jobs=2, parser="tests.warehouse.test_ingest:_crash_on_b")
    assert st.n_worker_deaths >= 1
    rows = _rows(cdir)
    assert set(rows) == set(names)
    assert rows["b.txt"]["error"] == "internal_error: the parser process died while reading this file"
    assert all(rows[n]["parse_status"] == "ok" for n in names if n != "b.txt")


# ---------------------------------------------------------------- chunks: commit and resume


def test_chunks_are_committed_by_rename_and_half_written_ones_are_ignored(tmp_path, fake_parser):
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    write_reports(land, {f"r{i}.txt": parse_result(f"r{i}.txt") for i in range(30)})
    files, _ = landing.scan_landing(land)
    plan = ingest.plan_reads(files, cache.load_state(cdir, ingest.parser_version()))
    ingest.read_and_parse(ingest.Plan(plan.listing, plan.to_read[:20], plan.skip_keys), cdir, jobs=1)
    (cdir / ".tmp-chunk-half-written.parquet").write_bytes(b"PAR1 half")  # a write killed mid-way
    state = cache.load_state(cdir, ingest.parser_version())
    assert len(state.reads) == 20
    resumed = run_ingest(land, cdir)
    assert resumed.n_read == 10  # only what no committed chunk covers
    assert not (cdir / ".tmp-chunk-half-written.parquet").exists()
    assert pq.read_schema(cache.chunk_files(cdir)[0]) == CACHE_SCHEMA


def test_compaction_keeps_exactly_what_the_listing_references(tmp_path, fake_parser):
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    write_reports(land, {f"r{i}.txt": parse_result(f"r{i}.txt", year=2000 + i) for i in range(10)})
    run_ingest(land, cdir)
    for i in range(5):  # removed files leave garbage in the cache
        (land / f"r{i}.txt").unlink()
    (land / "r9.txt").write_text(json.dumps(parse_result("r9.txt", year=1999)))  # changed: a second read
    run_ingest(land, cdir)
    version = ingest.parser_version()
    state = cache.load_state(cdir, version)
    assert state.n_rows == 11
    files, _ = landing.scan_landing(land)
    reads = {f.source_path: state.reads[f.source_path].read_at_ns for f in files}
    keys = {state.reads[f.source_path].parse_key for f in files}
    assert cache.needs_compaction(state, len(reads))
    assert cache.compact(cdir, reads, keys, version) == 5
    after = cache.load_state(cdir, version)
    assert set(after.reads) == {f.source_path for f in files} and after.parsed_keys == keys
    assert run_ingest(land, cdir).n_read == 0  # nothing lost: the next run reads nothing again


def test_a_zip_bomb_is_not_unpacked(tmp_path, fake_parser):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * (ingest.MAX_UNPACKED_BYTES + 1))
    land, cdir = tmp_path / "landing", tmp_path / "cache"
    land.mkdir()
    (land / "bomb.docx").write_bytes(buf.getvalue())
    assert len(buf.getvalue()) < 2**20
    run_ingest(land, cdir)
    err = _rows(cdir)["bomb.docx"]["error"]
    assert err.startswith(f"archive expands to {ingest.MAX_UNPACKED_BYTES + 1:,} bytes")


def test_read_ahead_yields_every_file_in_order_with_its_bytes_and_stays_within_its_window(tmp_path, monkeypatch):
    """Workers read the next files in threads while they parse; what they get is what a plain read gives, in
    the listing's order, with at most the window's files in flight (a few huge files never pile up)."""
    sizes = [5, 0, 3000, 17, 1, 250_000, 9, 9, 40_000, 2] * 4
    files = []
    for i, n in enumerate(sizes):
        p = tmp_path / f"f{i:02d}.txt"
        p.write_bytes(bytes([65 + i % 26]) * n)
        st = p.stat()
        files.append(landing.FileStat(p.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, str(p)))
    files.append(landing.FileStat("gone.txt", 3, 0, 0, 0, str(tmp_path / "gone.txt")))  # removed since the scan
    in_flight, peak, lock = [0], [0], threading.Lock()
    real_read = ingest._read

    def counting_read(f):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        return real_read(f)

    monkeypatch.setattr(ingest, "_read", counting_read)
    got = []
    for f, read_at, (data, st, error) in ingest.read_ahead(files, window_bytes=100_000, window_files=4):
        with lock:
            in_flight[0] -= 1
        got.append((f.source_path, data, error))
        assert read_at > 0
    assert [g[0] for g in got] == [f.source_path for f in files]
    for (name, data, error), f in zip(got[:-1], files[:-1]):
        assert error is None and data == Path(f.fs_path).read_bytes()
    assert got[-1][1] is None and got[-1][2].startswith("cannot open the file")
    assert 2 <= peak[0] <= 4  # read ahead, within the window of 4 files
