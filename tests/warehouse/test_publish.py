"""Publish snapshots (lib/warehouse/publish.py): partitions, NULL years, one symlink flip per publish, cleanup."""

from __future__ import annotations

import json
import os
import time

import duckdb
import pytest

from dagster_project.lib.warehouse import publish as P
from dagster_project.lib.warehouse.publish import read_mart_sql


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("create table t as select * from (values ('a', 2023, 1), ('b', null, 2), ('c', 2022, 3)) "
              "v(report_id, report_year, x)")
    yield c
    c.close()


def publish(con, root, tables: dict[str, str], run_id="run-1") -> dict:
    pub = P.new_publish(root, run_id)
    for name, rel in tables.items():
        pub.write(con, rel, name)
    return pub.commit()


def test_partitioned_by_year_with_null_year_read_back_as_null(con, tmp_path):
    manifest = publish(con, tmp_path, {"reports": "t"})
    marts = tmp_path / "marts"
    assert manifest["rows"] == {"reports": 3} and manifest["marts"]["reports"]["partitioned"]
    dirs = sorted(p.name for p in (marts / "reports").iterdir())
    assert dirs == ["report_year=2022", "report_year=2023", "report_year=__HIVE_DEFAULT_PARTITION__"]
    rows = con.execute(f"select report_id, report_year, typeof(report_year) from {read_mart_sql(marts, 'reports')} "
                       "order by report_id").fetchall()
    assert rows == [("a", 2023, "BIGINT"), ("b", None, "BIGINT"), ("c", 2022, "BIGINT")]
    # the partition column is not written twice: the files themselves have no report_year
    cols = [r[0] for r in con.execute(
        f"describe select * from read_parquet('{marts}/reports/report_year=2023/*.parquet', hive_partitioning=false)"
    ).fetchall()]
    assert cols == ["report_id", "x"]


def test_empty_relation_keeps_schema(con, tmp_path):
    con.execute("create table e as select * from t where false")
    manifest = publish(con, tmp_path, {"quarantine": "e"})
    assert manifest["marts"]["quarantine"]["files"] == [f"part_{manifest['publish_id']}_0.parquet"]
    assert con.execute(f"select count(*) from {read_mart_sql(tmp_path / 'marts', 'quarantine')}").fetchone()[0] == 0


def test_each_publish_is_a_new_folder_made_current_by_one_symlink(con, tmp_path):
    first = publish(con, tmp_path, {"reports": "t", "other": "t"}, "run-1")
    con.execute("delete from t where report_id <> 'a'")
    second = publish(con, tmp_path, {"reports": "t", "other": "t"}, "run-2")
    marts = tmp_path / "marts"
    assert marts.is_symlink() and os.readlink(marts) == f"_publishes/{second['publish_id']}"
    assert con.execute(f"select count(*) from {read_mart_sql(marts, 'reports')}").fetchone()[0] == 1
    on_disk = json.loads((marts / P.MANIFEST).read_text())
    assert (on_disk["publish_id"], on_disk["run_id"], on_disk["rows"]) == (second["publish_id"], "run-2",
                                                                           {"reports": 1, "other": 1})
    assert on_disk["path"] == str(tmp_path / P.PUBLISHES / second["publish_id"])
    # the previous publish is still complete on disk, for readers that resolved it
    old = tmp_path / P.PUBLISHES / first["publish_id"]
    assert con.execute(f"select count(*) from {read_mart_sql(old, 'reports')}").fetchone()[0] == 3


def test_cleanup_keeps_the_current_and_latest_and_removes_killed_publishes(con, tmp_path):
    ids = [publish(con, tmp_path, {"reports": "t"}, f"run-{i}")["publish_id"] for i in range(5)]
    killed = P.new_publish(tmp_path)  # written, never committed: a publish killed half-way
    killed.write(con, "t", "reports")
    (tmp_path / ".marts-deadbeef").symlink_to("nowhere")  # killed between symlink and rename
    later = time.time() + P.GRACE_SECONDS + 1
    removed = P.cleanup(tmp_path, now=lambda: later)
    left = sorted(p.name for p in (tmp_path / P.PUBLISHES).iterdir())
    assert left == sorted(ids[-P.KEEP_LATEST:])
    assert set(removed) == {f".tmp-{killed.publish_id}", *ids[:-P.KEEP_LATEST]}
    assert not (tmp_path / ".marts-deadbeef").exists()
    assert P.cleanup(tmp_path) == []  # within the grace period nothing else goes


def test_a_warehouse_from_before_snapshots_is_migrated(con, tmp_path):
    legacy = tmp_path / "marts" / "reports"
    legacy.mkdir(parents=True)
    con.execute(f"copy (select 'x' as report_id) to '{legacy}/part_0.parquet'")
    publish(con, tmp_path, {"reports": "t"})
    assert (tmp_path / "marts").is_symlink()
    assert con.execute(f"select count(*) from {read_mart_sql(tmp_path / 'marts', 'reports')}").fetchone()[0] == 3
    assert any(p.name.startswith("legacy-") for p in (tmp_path / P.PUBLISHES).iterdir())


def _inodes(marts_dir, name: str) -> dict[str, int]:
    """partition folder -> inode of its one file, in the publish ``marts_dir`` points at."""
    folder = marts_dir.resolve() / name
    return {p.parent.name: p.stat().st_ino for p in folder.glob("*/*.parquet")}


def test_unchanged_partitions_are_linked_and_changed_ones_written(con, tmp_path):
    first = publish(con, tmp_path, {"reports": "t"}, "run-1")
    marts = tmp_path / "marts"
    before = _inodes(marts, "reports")
    con.execute("update t set x = 30 where report_id = 'c'")  # 2022 changes; 2023 and the NULL year do not
    second = publish(con, tmp_path, {"reports": "t"}, "run-2")
    after = _inodes(marts, "reports")
    assert sorted(after) == ["report_year=2022", "report_year=2023", "report_year=__HIVE_DEFAULT_PARTITION__"]
    assert after["report_year=2023"] == before["report_year=2023"]
    assert after["report_year=__HIVE_DEFAULT_PARTITION__"] == before["report_year=__HIVE_DEFAULT_PARTITION__"]
    assert after["report_year=2022"] != before["report_year=2022"]
    parts = second["marts"]["reports"]["partitions"]
    assert {k: v["reused"] for k, v in parts.items()} == {
        "2022": False, "2023": True, "__HIVE_DEFAULT_PARTITION__": True}
    # every file of the new publish carries the new publish id, linked or written
    assert all(f"part_{second['publish_id']}_" in f for f in second["marts"]["reports"]["files"])
    assert first["publish_id"] != second["publish_id"]
    rows = con.execute(f"select report_id, report_year, x from {read_mart_sql(marts, 'reports')} "
                       "order by report_id").fetchall()
    assert rows == [("a", 2023, 1), ("b", None, 2), ("c", 2022, 30)]
    # the first publish is untouched: a reader that pinned it still reads its rows
    old = tmp_path / "_publishes" / first["publish_id"]
    assert con.execute(f"select x from {read_mart_sql(old, 'reports')} where report_id = 'c'").fetchall() == [(3,)]


def test_same_rows_in_another_schema_or_a_lost_file_are_written_again(con, tmp_path):
    publish(con, tmp_path, {"reports": "t"}, "run-1")
    con.execute("alter table t rename column x to y")  # same values, another column name: a new schema
    second = publish(con, tmp_path, {"reports": "t"}, "run-2")
    assert not any(p["reused"] for p in second["marts"]["reports"]["partitions"].values())
    # a file of the current publish removed by hand: that partition is written, not linked to nothing
    (tmp_path / "marts").resolve().joinpath("reports", second["marts"]["reports"]["files"][0]).unlink()
    third = publish(con, tmp_path, {"reports": "t"}, "run-3")
    parts = third["marts"]["reports"]["partitions"]
    assert [k for k, p in parts.items() if not p["reused"]] == [second["marts"]["reports"]["files"][0].split("/")[0]
                                                                .split("=")[1]]
    rows = con.execute(f"select report_id, report_year, y from {read_mart_sql(tmp_path / 'marts', 'reports')} "
                       "order by report_id").fetchall()
    assert rows == [("a", 2023, 1), ("b", None, 2), ("c", 2022, 3)]
