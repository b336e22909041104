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

    deps = {d for spec in gongkai_dbt.specs for d in (dep.asset_key for dep in spec.deps)}
    raw_deps = {k for k in deps if k.path[0] == "raw"}
    assert raw_deps and raw_deps <= materializable, raw_deps - materializable


def test_groups_and_keys(defs):
    graph = defs.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["ingest/landing_scan"] == "ingest"
    assert groups["raw/t3_cells"] == "ingest"
    assert groups["staging/stg_raw__t3_cells"] == "transform"
    assert groups["marts/fct_outcomes"] == "marts"
    assert groups["publish/marts"] == "publish"


def test_gx_checks_are_blocking_and_gate_publish(defs):
    graph = defs.resolve_asset_graph()
    gx = {k for k in graph.asset_check_keys if k.name.startswith("gx_")}
    assert {k.name for k in gx} >= {"gx_fct_applications", "gx_fct_outcomes", "gx_fct_appeals",
                                    "gx_fct_proactive_disclosure", "gx_reports"}
    for key in gx:
        spec = graph.get_check_spec(key)
        assert spec.blocking, key
    publish_parents = graph.get(dg.AssetKey(["publish", "marts"])).parent_keys
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
