"""The warehouse's Dagster event log (dagster_project/instance_storage.py): Dagster's SQLite tables with pooled
connections and synchronous=NORMAL; every event stored from several threads reads back, and Dagster's own storage
class (what any Dagster tool would use) reads the same file."""

from __future__ import annotations

import sqlite3
import threading

import dagster as dg
from dagster._core.storage.event_log.sqlite.consolidated_sqlite_event_log import ConsolidatedSqliteEventLogStorage
from dagster._core.test_utils import create_run_for_test

from dagster_project.instance_storage import PooledSqliteEventLogStorage
from dagster_project.lib.warehouse.paths import WarehousePaths, write_dagster_yaml


def test_the_warehouse_instance_stores_events_through_the_pooled_storage(tmp_path, monkeypatch):
    paths = WarehousePaths(tmp_path / "warehouse")
    write_dagster_yaml(paths)
    monkeypatch.setenv("DAGSTER_HOME", str(paths.dagster_home))
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert type(storage) is PooledSqliteEventLogStorage
        run = create_run_for_test(instance, job_name="gongkai_all")

        def report(k: int) -> None:
            for i in range(50):
                instance.report_engine_event(f"thread {k} event {i}", run)

        threads = [threading.Thread(target=report, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        messages = {e.dagster_event.message for e in instance.all_logs(run.run_id) if e.dagster_event}
        assert {f"thread {k} event {i}" for k in range(4) for i in range(50)} <= messages
        with storage.index_connection() as conn:  # a pooled connection: WAL (Dagster's) and synchronous=NORMAL
            assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("pragma synchronous").scalar() == 1

    # Dagster's own class reads what the pooled one wrote (the file is Dagster's, unchanged)
    stock = ConsolidatedSqliteEventLogStorage(str(paths.dagster_home))
    logs = stock.get_logs_for_run(run.run_id)
    assert sum(1 for e in logs if e.dagster_event and (e.dagster_event.message or "").startswith("thread ")) == 200
    with sqlite3.connect(paths.dagster_home / "event_log.db") as con:  # and SQLite finds it intact
        assert con.execute("pragma integrity_check").fetchone() == ("ok",)
