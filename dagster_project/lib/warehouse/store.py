"""The warehouse DuckDB file: connections, and the writer of the finished records (schema ``raw``)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from dagster_project.lib.warehouse.schema import RAW_TABLES, ddl

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


class RawWriter:
    """Replace every ``raw`` table with the finished records, batch by batch, in one transaction.

    Used as a context manager: the new records become visible together at commit, and a failure (or a kill)
    leaves the previous records as they were.
    """

    def __init__(self, con):
        self.con = con
        self.rows: dict[str, int] = {t.name: 0 for t in RAW_TABLES}

    def __enter__(self) -> "RawWriter":
        self.con.execute("begin transaction")
        # earlier layouts kept other tables here (and a `batch` schema): the records replace them all
        self.con.execute("drop schema if exists batch cascade")
        self.con.execute("drop schema if exists raw cascade")
        self.con.execute("create schema raw")
        for t in RAW_TABLES:
            self.con.execute(ddl(t))
        return self

    def write(self, table: str, data: pa.Table) -> None:
        self.con.register("_records", data)
        try:
            self.con.execute(f"insert into raw.{table} select * from _records")
        finally:
            self.con.unregister("_records")
        self.rows[table] += data.num_rows

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.con.execute("commit")
        else:
            self.con.execute("rollback")
