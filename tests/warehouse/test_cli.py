"""Pieces of the `gongkai` commands that need no full run."""

from __future__ import annotations

import dagster as dg


def test_runs_left_started_by_a_killed_process_are_marked_failed_when_the_warehouse_is_idle(tmp_path, monkeypatch):
    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

    from dagster_project import warehouse_cli
    from dagster_project.lib.warehouse import lock
    from dagster_project.lib.warehouse.paths import WarehousePaths, write_dagster_yaml

    paths = WarehousePaths(tmp_path / "wh").ensure()
    write_dagster_yaml(paths)
    monkeypatch.setenv("DAGSTER_HOME", str(paths.dagster_home))
    with dg.DagsterInstance.get() as instance:
        instance.add_run(DagsterRun(job_name="gongkai_all", run_id="dead-run", status=DagsterRunStatus.STARTED))
        instance.add_run(DagsterRun(job_name="gongkai_all", run_id="done-run", status=DagsterRunStatus.SUCCESS))
    warehouse_cli._fail_interrupted_runs_if_idle(paths)
    assert not lock.held(paths.root)  # the UI does not keep the warehouse
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id("dead-run").status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id("done-run").status == DagsterRunStatus.SUCCESS
