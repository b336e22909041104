"""dbt's incremental fact models (fct_*, check_results): after files are added, changed, copied and removed, a run
that rebuilt only the changed reports' rows publishes the same marts as a run on a new warehouse (the publish
links the partitions whose rows did not change, so this also checks that linking never keeps stale rows)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.integration.conftest import run_gongkai

pytestmark = pytest.mark.integration
INCREMENTAL = ("fct_outcomes", "fct_applications", "fct_appeals", "fct_proactive_disclosure", "check_results")


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    """Every published mart, all rows sorted."""
    con = duckdb.connect()
    try:
        out = {}
        for folder in sorted(p for p in (warehouse / "marts").iterdir() if p.is_dir()):
            out[folder.name] = con.execute(
                f"select * from read_parquet('{folder}/**/*.parquet', hive_partitioning=true) order by all").fetchall()
        return out
    finally:
        con.close()


def dbt_build(warehouse: Path) -> dict[str, dict]:
    """unique model name -> its result in the last dbt build (compiled SQL, status)."""
    results = json.loads((warehouse / "dbt_target" / "build" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: r for r in results if r["unique_id"].startswith("model.")}


def run(landing: Path, warehouse: Path) -> None:
    proc = run_gongkai("run", "--landing", str(landing), "--warehouse", str(warehouse),
                       env={"GONGKAI_PROGRESS": "off"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def published(warehouse: Path) -> dict:
    """The current publish's manifest."""
    return json.loads((warehouse / "marts" / "_publish.json").read_text())


def changed_list(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("select count(*) from records_meta.changed_reports").fetchone()[0]
    finally:
        con.close()


def test_incremental_marts_equal_a_new_warehouse(tmp_path):
    from devtools.bench import write_corpus

    landing, kept, fresh = tmp_path / "landing", tmp_path / "kept", tmp_path / "fresh"
    corpus = write_corpus(landing, 240, ("txt_lines", "html", "txt_concat", "txt_tabs"), seed=41, broken_share=0.08,
                          unreadable_share=0.02, duplicate_share=0.05)
    run(landing, kept)
    first = dbt_build(kept)
    assert all("changed_reports" not in first[m]["compiled_code"] for m in INCREMENTAL)  # a new warehouse: whole
    assert changed_list(kept) == 0

    # new reports (some broken), one removed, one with new content, one identical copy of another
    write_corpus(landing / "added", 5, ("txt_lines", "html"), seed=42, broken_share=0.4)
    clean = [f for f in corpus if f.kind == "clean"]
    (landing / clean[0].path).unlink()
    shutil.copyfile(landing / clean[2].path, landing / clean[1].path)
    shutil.copyfile(landing / clean[3].path, landing / f"copy-of-a-report{Path(clean[3].path).suffix}")
    run(landing, kept)
    second = dbt_build(kept)
    for m in INCREMENTAL:  # only the changed reports' rows were rebuilt
        assert "changed_reports" in second[m]["compiled_code"], m
        assert second[m]["status"] == "success"
    assert changed_list(kept) == 0  # a complete build empties the list

    linked = [p["reused"] for m in published(kept)["marts"].values() for p in m["partitions"].values()]
    assert 0 < sum(linked) < len(linked)  # some partitions linked, the changed ones written (checked just below)
    run(landing, fresh)
    assert marts(kept) == marts(fresh)

    # a run that changes nothing: incremental again (an empty list), the same marts, and no partition written again
    # (each linked from the previous publish: lib/warehouse/publish.py)
    run(landing, kept)
    assert all("changed_reports" in dbt_build(kept)[m]["compiled_code"] for m in INCREMENTAL)
    assert marts(kept) == marts(fresh)
    parts = [p for m in published(kept)["marts"].values() for p in m["partitions"].values()]
    assert len(parts) > 20 and all(p["reused"] for p in parts)
