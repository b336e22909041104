"""Atomic parquet publish (lib/warehouse/publish.py): partitions, NULL years, swaps."""

from __future__ import annotations

import threading

import duckdb
import pytest

from dagster_project.lib.warehouse.publish import cleanup_stale, exchange, publish_relation, read_mart_sql, swap_into_place


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("create table t as select * from (values ('a', 2023, 1), ('b', null, 2), ('c', 2022, 3)) v(report_id, report_year, x)")
    yield c
    c.close()


def test_partitioned_by_year_with_null_year_read_back_as_null(con, tmp_path):
    info = publish_relation(con, "t", tmp_path, "reports")
    assert info["rows"] == 3 and info["partitioned"]
    dirs = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert dirs == ["report_year=2022", "report_year=2023", "report_year=__HIVE_DEFAULT_PARTITION__"]
    rows = con.execute(f"select report_id, report_year, typeof(report_year) from {read_mart_sql(tmp_path, 'reports')} "
                       "order by report_id").fetchall()
    assert rows == [("a", 2023, "BIGINT"), ("b", None, "BIGINT"), ("c", 2022, "BIGINT")]
    # the partition column is not written twice: the files themselves have no report_year
    cols = [r[0] for r in con.execute(
        f"describe select * from read_parquet('{tmp_path}/reports/report_year=2023/*.parquet', hive_partitioning=false)"
    ).fetchall()]
    assert cols == ["report_id", "x"]


def test_empty_relation_keeps_schema(con, tmp_path):
    con.execute("create table e as select * from t where false")
    info = publish_relation(con, "e", tmp_path, "quarantine")
    assert info["rows"] == 0 and info["files"] == 1
    assert con.execute(f"select count(*) from {read_mart_sql(tmp_path, 'quarantine')}").fetchone()[0] == 0


def test_republish_replaces_whole_mart(con, tmp_path):
    publish_relation(con, "t", tmp_path, "reports")
    con.execute("delete from t where report_id <> 'a'")
    publish_relation(con, "t", tmp_path, "reports")
    assert con.execute(f"select count(*) from {read_mart_sql(tmp_path, 'reports')}").fetchone()[0] == 1
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".old-")] == ["reports"]
    cleanup_stale(tmp_path, grace_seconds=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]  # previous version removed later


def test_swap_is_atomic_for_readers(tmp_path):
    """A reader listing the mart while it is replaced sees either the old or the new files, never none or both."""
    final = tmp_path / "m"
    (final / "p").mkdir(parents=True)
    (final / "p" / "old.parquet").write_text("old")
    seen: set[tuple[str, ...]] = set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                seen.add(tuple(sorted(p.name for p in final.rglob("*.parquet"))))
            except FileNotFoundError:
                seen.add(("missing",))

    th = threading.Thread(target=reader)
    th.start()
    for i in range(50):
        tmp = tmp_path / f".tmp-{i}"
        (tmp / "p").mkdir(parents=True)
        (tmp / "p" / f"{'new' if i % 2 == 0 else 'old'}.parquet").write_text("x")
        swap_into_place(tmp, final)
    stop.set()
    th.join()
    assert seen <= {("old.parquet",), ("new.parquet",)}, seen


def test_exchange_available_on_linux(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    assert exchange(a, b)
    assert (b / "x").read_text() == "a"
