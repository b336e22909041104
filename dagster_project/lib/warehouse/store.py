"""The warehouse DuckDB file: connections, and the writer of the finished records (schema ``raw``)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from dagster_project.lib.warehouse.schema import CELL_TABLES, CHECKS, RAW, RAW_TABLES, REPORTS, arrow_schema, ddl

MEMORY_LIMIT = "1500MB"  # DuckDB spills to <warehouse>/duckdb_tmp beyond this: the run's memory stays bounded


def connect(path: Path, read_only: bool = False):
    """A DuckDB connection (close it before dbt runs: single writer, TOOLCHAIN.md P6)."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set threads to 2")
    con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    if not read_only:
        con.execute(f"set temp_directory = '{str(path.parent / 'duckdb_tmp')}'")
    return con


class RecordFiles:
    """Where the record builder writes: one parquet file per ``raw`` table, streamed batch by batch (memory stays
    flat), then loaded into DuckDB in one transaction by :func:`load_records`. (Arrow data handed to DuckDB
    directly stays referenced until the transaction commits — a national year would sit in memory.)"""

    def __init__(self, folder: Path):
        import shutil

        self.folder = folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self._writers: dict = {}

    def path(self, table: str) -> Path:
        return self.folder / f"{table}.parquet"

    def write(self, table: str, data: pa.Table) -> None:
        import pyarrow.parquet as pq

        w = self._writers.get(table)
        if w is None:
            w = self._writers[table] = pq.ParquetWriter(self.path(table), arrow_schema(RAW[table]),
                                                         compression="snappy")
        w.write_table(data.cast(arrow_schema(RAW[table])))

    def close(self) -> None:
        import pyarrow.parquet as pq

        for w in self._writers.values():
            w.close()
        for t in RAW_TABLES:  # every table exists, with its schema, also when empty
            if t.name not in self._writers:
                pq.write_table(pa.Table.from_pylist([], schema=arrow_schema(t)), self.path(t.name))
        self._writers = {}

    def __enter__(self) -> "RecordFiles":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()


# the tables whose rows belong to one report (keyed by report_id); the others are rewritten whole every build
PER_REPORT_TABLES = frozenset((REPORTS.name, *(t.name for t in CELL_TABLES.values()), CHECKS.name))
BUILD_STATE = "records_meta.build"  # the records_version of the build the raw tables hold
# The report_ids whose raw rows changed since the last complete dbt build (deleted, replaced or new): dbt's
# incremental fact models rebuild only their rows (dbt/macros/incremental.sql). Kept until a dbt build of every
# model succeeds, so a failed or killed dbt run leaves them for the next one.
CHANGED_REPORTS = "records_meta.changed_reports"
# The fingerprint of the dbt project (dbt_manifest.project_fingerprint) of the last complete dbt build, null when
# the raw tables were rebuilt whole since: then dbt rebuilds every model (--full-refresh).
DBT_STATE = "records_meta.dbt_state"


def previous_records(con, records_version: str):
    """The earlier build's rows for an incremental build (``record.Previous``), or None when the raw tables are
    missing or were built from other inputs (another parser, record rules, agency library or corrections)."""
    import duckdb

    from dagster_project.lib.warehouse.record import Previous

    try:
        row = con.execute(f"select records_version from {BUILD_STATE}").fetchone()
        if row is None or row[0] != records_version:
            return None
        rows = con.execute("select source_path, report_id, content_sha256, agency_id from raw.reports").fetchall()
    except duckdb.CatalogException:  # a new warehouse, or one of an earlier layout
        return None
    return Previous({path: (rid, sha, agency_id) for path, rid, sha, agency_id in rows})


def load_records(con, files: RecordFiles, replaced: set[str] | None = None,
                 records_version: str | None = None) -> dict[str, int]:
    """Write the record files into the ``raw`` tables, in one transaction: the new records become visible
    together at commit; a failure (or a kill) leaves the previous ones as they were.

    ``replaced`` None: every ``raw`` table is replaced. Otherwise (an incremental build) the rows of those
    report_ids leave the per-report tables, the written records take their place, and the small whole-warehouse
    tables (corrections, agencies, codes) are replaced. ``records_version`` is stored with them
    (:func:`previous_records` reads it back)."""
    import pyarrow.parquet as pq

    def source(name: str) -> str:
        return "read_parquet('" + str(files.path(name)).replace("'", "''") + "')"

    if replaced is not None:
        pq.write_table(pa.table({"report_id": pa.array(sorted(replaced), pa.string())}), files.path("_replaced"))
    with _transaction(con):
        if replaced is None:
            # earlier layouts kept other tables here (and a `batch` schema): the records replace them all
            con.execute("drop schema if exists batch cascade")
            con.execute("drop schema if exists raw cascade")
            con.execute("create schema raw")
        for t in RAW_TABLES:
            if replaced is None:
                con.execute(ddl(t))
            elif t.name in PER_REPORT_TABLES:
                con.execute(f"delete from raw.{t.name} where report_id in (select report_id from {source('_replaced')})")
            else:
                con.execute(f"delete from raw.{t.name}")
            con.execute(f"insert into raw.{t.name} select {', '.join(t.names)} from {source(t.name)}")
        con.execute("create schema if not exists records_meta")
        con.execute(f"create or replace table {BUILD_STATE} as select ?::varchar as records_version",
                    [records_version])
        if replaced is None:  # every row is new: dbt rebuilds every model
            con.execute(f"create or replace table {CHANGED_REPORTS} (report_id varchar)")
            con.execute(f"create or replace table {DBT_STATE} as select null::varchar as dbt_fingerprint")
        else:
            con.execute(f"create table if not exists {CHANGED_REPORTS} (report_id varchar)")
            con.execute(f"insert into {CHANGED_REPORTS} select report_id from {source('_replaced')} "
                        f"union select report_id from {source(REPORTS.name)}")
    return {t.name: con.execute(f"select count(*) from raw.{t.name}").fetchone()[0] for t in RAW_TABLES}


def dbt_full_refresh_reason(con, fingerprint: str) -> str | None:
    """Why the next dbt build must rebuild every model (``--full-refresh``), or None when its incremental models
    may rebuild only the rows of :data:`CHANGED_REPORTS`: the raw tables were rebuilt whole since the last complete
    dbt build, or the dbt project changed (another fingerprint), or there was none."""
    import duckdb

    try:
        row = con.execute(f"select dbt_fingerprint from {DBT_STATE}").fetchone()
        con.execute(f"select count(*) from {CHANGED_REPORTS}").fetchone()
    except duckdb.CatalogException:
        return "no complete dbt build recorded"
    if row is None or row[0] is None:
        return "the raw tables were rebuilt whole"
    if row[0] != fingerprint:
        return "the dbt project changed"
    return None


def n_changed_reports(con) -> int:
    return int(con.execute(f"select count(distinct report_id) from {CHANGED_REPORTS}").fetchone()[0])


def record_dbt_build(con, fingerprint: str) -> None:
    """A dbt build of every model succeeded on the raw tables as they are: nothing is pending any more."""
    with _transaction(con):
        con.execute(f"create or replace table {CHANGED_REPORTS} (report_id varchar)")
        con.execute(f"create or replace table {DBT_STATE} as select ?::varchar as dbt_fingerprint", [fingerprint])


@contextmanager
def _transaction(con):
    """One DuckDB transaction: committed when the block ends, rolled back when it raises (or is interrupted)."""
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
