"""The warehouse DuckDB file: connections, and the writer of the finished records (schema ``raw``)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from dagster_project.lib.warehouse.schema import RAW, RAW_TABLES, arrow_schema, ddl

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
        self.rows: dict[str, int] = {t.name: 0 for t in RAW_TABLES}

    def path(self, table: str) -> Path:
        return self.folder / f"{table}.parquet"

    def write(self, table: str, data: pa.Table) -> None:
        import pyarrow.parquet as pq

        w = self._writers.get(table)
        if w is None:
            w = self._writers[table] = pq.ParquetWriter(self.path(table), arrow_schema(RAW[table]),
                                                         compression="snappy")
        w.write_table(data.cast(arrow_schema(RAW[table])))
        self.rows[table] += data.num_rows

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


def load_records(con, files: RecordFiles) -> dict[str, int]:
    """Replace every ``raw`` table with the record files, in one transaction: the new records become visible
    together at commit; a failure (or a kill) leaves the previous ones as they were."""
    con.execute("begin transaction")
    try:
        # earlier layouts kept other tables here (and a `batch` schema): the records replace them all
        con.execute("drop schema if exists batch cascade")
        con.execute("drop schema if exists raw cascade")
        con.execute("create schema raw")
        for t in RAW_TABLES:
            con.execute(ddl(t))
            path = str(files.path(t.name)).replace("'", "''")
            con.execute(f"insert into raw.{t.name} select {', '.join(t.names)} from read_parquet('{path}')")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return {t.name: con.execute(f"select count(*) from raw.{t.name}").fetchone()[0] for t in RAW_TABLES}
