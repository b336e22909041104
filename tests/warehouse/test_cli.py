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


def test_busy_message_names_the_holder(tmp_path):
    """A run refused because `gongkai docs` copies the database says so (it is seconds, not a whole run)."""
    import json

    from dagster_project.lib.warehouse.lock import LOCK_NAME, WarehouseBusy

    docs = WarehouseBusy(tmp_path, {"pid": 41, "command": "/x/.venv/bin/gongkai docs --warehouse w"})
    assert str(docs) == (f"gongkai docs (PID 41) is copying the database of {tmp_path} for the docs site; "
                         "try again in a few seconds")
    run = WarehouseBusy(tmp_path, json.loads('{"pid": 42, "command": "/x/.venv/bin/gongkai run"}'))
    assert str(run) == f"another gongkai run (PID 42) is using {tmp_path}; wait for it to finish or stop it"
    assert LOCK_NAME == "gongkai.lock"
