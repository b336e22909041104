"""The Dagster definitions load offline and wire ingest → dbt → GX → publish as promised."""

from __future__ import annotations

import ast
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.lib.warehouse.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from dagster_project.definitions import defs as lazy

    return lazy()


def test_every_dbt_source_is_produced_by_an_ingest_asset(defs):
    graph = defs.resolve_asset_graph()
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    from dagster_project.defs.transform.assets import gongkai_dbt

    deps = {d for spec in gongkai_dbt().specs for d in (dep.asset_key for dep in spec.deps)}
    raw_deps = {k for k in deps if k.path[0] == "raw"}
    assert raw_deps and raw_deps <= materializable, raw_deps - materializable


def test_groups_and_keys(defs):
    graph = defs.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["ingest/landing_files"] == "ingest"
    assert groups["ingest/parsed_reports"] == "ingest"
    assert groups["raw/reports"] == "ingest"
    assert groups["raw/t3_cells"] == "ingest"
    assert groups["staging/stg_raw__t3_cells"] == "transform"
    assert groups["marts/fct_outcomes"] == "marts"
    assert groups["published/fct_outcomes"] == "publish"
    assert groups["published/quality_report"] == "publish"


def test_each_published_mart_is_an_asset_downstream_of_its_dbt_model(defs):
    """published/<mart> (kind parquet) for every mart model, downstream of that model: lineage reads landing →
    parse → dbt model → GX gate → parquet file (issue 9)."""
    from dagster_project.defs.transform.project import dbt_project
    from dagster_project.lib.warehouse.dbt_manifest import publishable_models

    graph = defs.resolve_asset_graph()
    models = [m["name"] for m in publishable_models(dbt_project().manifest_path)]
    assert {"reports", "quarantine", "fct_outcomes", "check_results", "dim_agency"} <= set(models)
    for name in models:
        node = graph.get(dg.AssetKey(["published", name]))
        assert dg.AssetKey(["marts", name]) in node.parent_keys, name
        assert "parquet" in node.kinds and node.owners == ["team:gongkai"], name
    assert dg.AssetKey(["published", "quarantine"]) in graph.get(
        dg.AssetKey(["published", "quality_report"])).parent_keys


def test_dbt_models_have_owner_and_tags(defs):
    graph = defs.resolve_asset_graph()
    outcomes = graph.get(dg.AssetKey(["marts", "fct_outcomes"]))
    staging = graph.get(dg.AssetKey(["staging", "stg_raw__t3_cells"]))
    assert outcomes.owners == ["team:gongkai"] and {"mart", "published"} <= set(outcomes.tags)
    assert staging.owners == ["team:gongkai"] and "staging" in staging.tags


def test_held_back_reports_check_is_a_non_blocking_warning(defs):
    graph = defs.resolve_asset_graph()
    key = dg.AssetCheckKey(dg.AssetKey(["raw", "reports"]), "reports_held_back")
    spec = graph.get_check_spec(key)
    assert not spec.blocking and "quarantined" in spec.description


def test_every_dbt_check_has_its_tests_description(defs):
    """dagster-dbt reads a check's description from meta.description only; the translator uses the test's own
    description, so no dbt check in the UI is a bare test name."""
    graph = defs.resolve_asset_graph()
    dbt_checks = [k for k in graph.asset_check_keys if not k.name.startswith("gx_") and k.name != "reports_held_back"]
    assert len(dbt_checks) >= 60
    missing = [k.name for k in dbt_checks if not (graph.get_check_spec(k).description or "").strip()]
    assert missing == []


def test_gx_checks_are_blocking_and_gate_publish(defs):
    graph = defs.resolve_asset_graph()
    gx = {k for k in graph.asset_check_keys if k.name.startswith("gx_")}
    assert {k.name for k in gx} >= {"gx_fct_applications", "gx_fct_outcomes", "gx_fct_appeals",
                                    "gx_fct_proactive_disclosure", "gx_reports"}
    for key in gx:
        spec = graph.get_check_spec(key)
        assert spec.blocking, key
    publish_parents = set()
    for key in graph.get_all_asset_keys():
        if key.path[0] == "published" and key.path[1] != "quality_report":
            publish_parents |= graph.get(key).parent_keys
    assert {k.asset_key for k in gx} <= publish_parents


def test_in_process_executor_and_job(defs):
    job = defs.resolve_job_def("gongkai_all")
    assert job.executor_def.name == "in_process"
    assert [s.name for s in defs.sensors] == ["landing_sensor"]


def test_lib_never_imports_dagster():
    """lib/ is pure (STYLE.md §4.2): nothing under it imports dagster."""
    offenders = []
    for path in (PROJECT_ROOT / "dagster_project" / "lib").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "dagster" or n.startswith(("dagster.", "dagster_dbt")) for n in names):
                offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert offenders == []


def test_no_committed_dbt_artefacts():
    import subprocess

    out = subprocess.run(["git", "ls-files", "dbt/target", "dbt/logs"], cwd=PROJECT_ROOT, capture_output=True,
                         text=True).stdout
    assert out.strip() == ""


def test_no_work_at_import():
    """Importing every definitions module runs no subprocess (dbt parse), opens no manifest and reads no
    environment variable of the project: all of that waits until the definitions load (issue 10)."""
    import subprocess
    import sys

    code = r"""
import builtins, importlib, io, os, pkgutil, subprocess, sys
opened, spawned, env_reads = [], [], []
_open = builtins.open
def spy_open(file, *a, **k):
    opened.append(str(file))
    return _open(file, *a, **k)
builtins.open = spy_open
io.open = spy_open
_popen_init = subprocess.Popen.__init__
def spy_popen(self, *a, **k):
    args = a[0] if a else k.get("args")
    if "dbt" in str(args):  # (libraries may run `file -b python` to learn the platform: not ours)
        spawned.append(args)
        raise RuntimeError("no dbt subprocess at import")
    return _popen_init(self, *a, **k)
subprocess.Popen.__init__ = spy_popen
_get = os.environ.__class__.__getitem__
def spy_get(self, key):
    if str(key).startswith("GONGKAI_"):
        env_reads.append(key)
    return _get(self, key)
os.environ.__class__.__getitem__ = spy_get
import dagster_project.defs as pkg
for m in pkgutil.walk_packages(pkg.__path__, "dagster_project.defs."):
    importlib.import_module(m.name)
importlib.import_module("dagster_project.definitions")
print(repr(([f for f in opened if "manifest" in f or f.endswith(".yml")], spawned, env_reads)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "([], [], [])"


def test_a_new_sensor_starts_from_the_last_run(tmp_path, monkeypatch):
    """Opening the UI after `gongkai run` starts no run: the sensor's first tick compares the landing folder with the
    listing the last successful publish recorded (issue 9)."""
    from dagster_project.defs.ingest import sensors

    land, wh = tmp_path / "landing", tmp_path / "wh"
    land.mkdir()
    (land / "a.txt").write_text("x")
    monkeypatch.setenv("GONGKAI_LANDING_DIR", str(land))
    monkeypatch.setenv("GONGKAI_WAREHOUSE_DIR", str(wh))
    monkeypatch.setenv("GONGKAI_CORRECTIONS", str(tmp_path / "none.yaml"))
    files, _ = sensors.scan_landing(land)
    (wh / "state").mkdir(parents=True)
    (wh / "state" / sensors.DIGEST_FILE).write_text(sensors.listing_digest(files, sensors.corrections_stamp()))
    first = sensors.landing_changes(dg.build_sensor_context(cursor=None))
    assert isinstance(first, dg.SkipReason)
    (land / "b.txt").write_text("new")
    second = sensors.landing_changes(dg.build_sensor_context(cursor=None))
    assert isinstance(second, dg.RunRequest)
