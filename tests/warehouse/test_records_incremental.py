"""Incremental record builds (record.rebuild_scope, store.load_records with ``replaced``): after files are added,
changed, copied or removed, the raw tables of a warehouse that rebuilt only the touched agencies and contents equal,
row for row, those of a warehouse built from scratch on the same landing folder.

Real parser, generated reports (several years per agency, so cross-report checks and resolutions take part,
broken, unreadable and duplicate files among them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from devtools.bench import write_corpus
from dagster_project.lib.corrections import parse_corrections
from dagster_project.lib.warehouse import ingest, landing, record, store
from dagster_project.lib.warehouse.schema import RAW_TABLES
from tests.warehouse.test_ingest import run_ingest

FORMATS = ("txt_concat", "txt_lines", "html", "txt_tabs")


class Warehouse:
    """A landing folder, its parse cache, and two DuckDB files: one built incrementally run after run, one
    rebuilt from scratch every run (the reference)."""

    def __init__(self, root: Path):
        self.root, self.landing, self.cache = root, root / "landing", root / "cache"
        self.corrections: list[dict] | None = None

    def build(self, db: str, incremental: bool) -> record.BuildResult:
        run_ingest(self.landing, self.cache)
        files, skipped = landing.scan_landing(self.landing)
        version = ingest.parser_version()
        records_version = record.records_version(version, self.corrections)
        con = duckdb.connect(str(self.root / db))
        try:
            previous = store.previous_records(con, records_version) if incremental else None
            with store.RecordFiles(self.root / f"records-{db}") as out:
                res = record.build(files, skipped, self.cache, version, out, self.corrections, "corr.yaml",
                                   previous=previous)
            store.load_records(con, out, res.replaced, records_version)
        finally:
            con.close()
        return res

    def tables(self, db: str) -> dict[str, list[tuple]]:
        con = duckdb.connect(str(self.root / db), read_only=True)
        try:
            return {t.name: con.execute(f"select * from raw.{t.name} order by all").fetchall() for t in RAW_TABLES}
        finally:
            con.close()

    def per_report_rows(self, db: str) -> dict[str, set[tuple]]:
        """report_id -> every row of it in the per-report raw tables (tagged with the table)."""
        out: dict[str, set[tuple]] = {}
        if not (self.root / db).exists():
            return out
        con = duckdb.connect(str(self.root / db), read_only=True)
        try:
            for t in RAW_TABLES:
                if t.name not in store.PER_REPORT_TABLES:
                    continue
                cols = [c.name for c in t.columns]
                i = cols.index("report_id")
                for row in con.execute(f"select * from raw.{t.name}").fetchall():
                    out.setdefault(row[i], set()).add((t.name, repr(row)))
        finally:
            con.close()
        return out

    def step(self) -> record.BuildResult:
        """One run: incremental on ``inc.duckdb``, from scratch on a fresh ``full.duckdb``; both must agree. And
        what dbt's incremental models rely on: every report whose rows changed is in the changed-reports list."""
        before = self.per_report_rows("inc.duckdb")
        res = self.build("inc.duckdb", incremental=True)
        (self.root / "full.duckdb").unlink(missing_ok=True)
        self.build("full.duckdb", incremental=False)
        inc, full = self.tables("inc.duckdb"), self.tables("full.duckdb")
        for name in full:
            assert inc[name] == full[name], f"raw.{name} differs from a build from scratch"
        after = self.per_report_rows("inc.duckdb")
        differing = {rid for rid in before.keys() | after.keys() if before.get(rid) != after.get(rid)}
        con = duckdb.connect(str(self.root / "inc.duckdb"))
        try:
            changed = {r for (r,) in con.execute(f"select report_id from {store.CHANGED_REPORTS}").fetchall()}
            reason = store.dbt_full_refresh_reason(con, "fingerprint")
            if res.replaced is None:
                assert reason == "the raw tables were rebuilt whole" and changed == set()
            else:
                assert reason is None
                assert differing <= changed, f"changed rows of reports missing from the list: {differing - changed}"
                assert changed <= res.replaced | set(after), "only replaced or rebuilt reports are listed"
            store.record_dbt_build(con, "fingerprint")  # as a complete dbt build does
            assert store.n_changed_reports(con) == 0 and store.dbt_full_refresh_reason(con, "fingerprint") is None
            assert store.dbt_full_refresh_reason(con, "another project") == "the dbt project changed"
        finally:
            con.close()
        return res


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def wh(tmp_path) -> Warehouse:
    w = Warehouse(tmp_path)
    write_corpus(w.landing, 160, FORMATS, seed=31, broken_share=0.1, unreadable_share=0.03, duplicate_share=0.1)
    first = w.step()
    assert first.replaced is None  # a new warehouse: everything is built
    con = duckdb.connect(str(w.root / "full.duckdb"), read_only=True)
    try:  # what the comparisons cover: cross-report checks, duplicates of both kinds, quarantined reports
        assert con.execute("select count(*) from raw.checks where check_origin = 'cross_report'").fetchone()[0] > 0
        kinds = {k for (k,) in con.execute("select distinct coalesce(duplicate_reason, status) from raw.reports")
                 .fetchall()}
        assert {"identical_content", "same_agency_year", "quarantined", "unreadable", "published"} <= kinds
    finally:
        con.close()
    return w


def _agency_reports(w: Warehouse) -> dict[str, list[tuple[str, int, str]]]:
    """agency_id -> [(source_path, report_year, status)] of the reference build."""
    con = duckdb.connect(str(w.root / "full.duckdb"), read_only=True)
    try:
        rows = con.execute("select agency_id, source_path, report_year, status from raw.reports "
                           "where agency_id is not null order by source_path").fetchall()
    finally:
        con.close()
    out: dict[str, list] = {}
    for agency_id, path, year, status in rows:
        out.setdefault(agency_id, []).append((path, year, status))
    return out


def test_added_files_rebuild_only_their_agencies_and_match_a_full_build(wh):
    write_corpus(wh.landing / "added", 6, FORMATS, seed=32, broken_share=0.2)
    res = wh.step()
    assert res.replaced is not None and 0 < res.n_rebuilt < res.n_files // 3


def test_copies_changes_and_removals_match_a_full_build(wh):
    files = _files(wh.landing)
    per_agency = _agency_reports(wh)
    # the agency with the most years (cross-report checks compare its years)
    multi = max(per_agency.values(), key=lambda rows: (len({y for _, y, _ in rows}), len(rows)))
    assert len({y for _, y, _ in multi}) >= 2 and len(multi) >= 3

    # an identical copy of a report under a new name: a duplicate, numbered after the original
    shutil.copy(wh.landing / multi[0][0], wh.landing / "zz-copy-of-first.txt")
    res = wh.step()
    assert res.replaced is not None

    # the original of that copy goes away: the copy becomes the report (copy number 1, new report_id)
    (wh.landing / multi[0][0]).unlink()
    res = wh.step()
    assert res.replaced is not None

    # a file's content replaced by another agency's report: both agencies are rebuilt
    other = next(p for p in files if p.exists() and p.suffix == ".txt" and p.name not in {r[0] for r in multi})
    target = wh.landing / multi[1][0]
    target.write_bytes(other.read_bytes())
    res = wh.step()
    assert res.replaced is not None

    # a year of the panel removed: the neighbouring years' cross-report checks change
    (wh.landing / multi[2][0]).unlink()
    res = wh.step()
    assert res.replaced is not None

    # nothing changed: nothing rebuilt
    res = wh.step()
    assert res.replaced == set() and res.n_rebuilt == 0


def test_other_inputs_rebuild_everything(wh):
    """Another corrections file (or parser, or record rules) makes the earlier rows unusable: a full build."""
    con = duckdb.connect(str(wh.root / "inc.duckdb"))
    try:
        rid, path = con.execute("select report_id, source_path from raw.reports where status = 'quarantined' "
                                "order by source_path limit 1").fetchone()
        version = ingest.parser_version()
        assert store.previous_records(con, record.records_version(version, None)) is not None
    finally:
        con.close()
    wh.corrections = parse_corrections([{"report": rid, "cell": "granted__total", "value": 1, "original": 999,
                                         "who": "t", "when": "2026-01-01", "reason": "test"}])
    res = wh.step()
    assert res.replaced is None


def test_a_build_that_rebuilds_most_reports_rebuilds_all(wh):
    """New bytes for most files (a trailing newline: same parse, new content hash): one full build."""
    changed = [p for p in _files(wh.landing) if p.suffix in (".txt", ".html")]
    assert len(changed) > 0.6 * len(_files(wh.landing))
    for p in changed:
        p.write_bytes(p.read_bytes() + b"\n")
    res = wh.step()
    assert res.replaced is None


def test_removed_files_are_deleted_without_rebuilding_the_rest(wh):
    files = _files(wh.landing)
    for p in files[: len(files) // 2]:
        p.unlink()
    res = wh.step()
    assert res.replaced is not None and res.n_rebuilt < res.n_files // 2


def test_with_corrections_the_incremental_build_still_matches(wh):
    con = duckdb.connect(str(wh.root / "full.duckdb"), read_only=True)
    try:
        # a quarantined report's suggested one-cell repair, as a reviewer would accept it
        rid, path, repair = con.execute(
            "select report_id, source_path, suggested_repair_json from raw.reports where status = 'quarantined' "
            "and suggested_repair_json is not null order by source_path limit 1").fetchone()
        cell, value = next(iter(json.loads(repair)["cells"].items()))
        row, _, col = cell.partition("__")
        printed = con.execute("select value_as_printed from raw.t3_cells where report_id = ? and row_code = ? "
                              "and col_code = ?", [rid, row, col]).fetchone()[0]
    finally:
        con.close()
    wh.corrections = parse_corrections([{"report": rid, "cell": cell, "value": value, "original": int(printed),
                                         "who": "t", "when": "2026-01-01", "reason": "test"}])
    assert wh.step().replaced is None  # new corrections: everything rebuilt once
    con = duckdb.connect(str(wh.root / "inc.duckdb"), read_only=True)
    try:
        assert con.execute("select status from raw.corrections").fetchall() == [("applied",)]
    finally:
        con.close()
    write_corpus(wh.landing / "more", 5, FORMATS, seed=33)
    assert wh.step().replaced is not None
    (wh.landing / path).unlink()  # the corrected report goes: its correction turns stale
    assert wh.step().replaced is not None


def test_dbt_project_fingerprint_follows_every_project_file(tmp_path):
    """A changed model, macro or project file makes the next dbt build rebuild every model (--full-refresh)."""
    from dagster_project.lib.warehouse.dbt_manifest import project_fingerprint
    from dagster_project.lib.warehouse.paths import DBT_PROJECT_DIR

    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    first = project_fingerprint(project)
    assert project_fingerprint(project) == first
    model = project / "models" / "marts" / "core" / "fct_outcomes.sql"
    model.write_text(model.read_text() + "\n-- an edit\n")
    second = project_fingerprint(project)
    assert second != first
    (project / "macros" / "new_macro.sql").write_text("{% macro m() %}1{% endmacro %}")
    assert project_fingerprint(project) not in (first, second)
