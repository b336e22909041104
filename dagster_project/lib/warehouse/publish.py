"""Publish DuckDB tables as hive-partitioned parquet marts, atomically.

Each mart is written into a sibling temp folder ``<marts>/.tmp-<name>-<uuid>/`` and then swapped into
place with one ``renameat2(RENAME_EXCHANGE)`` (Linux), so a reader globbing
``<marts>/<name>/**/*.parquet`` sees either the old mart or the new one, never a mix. Where the
exchange is not available the fallback is two renames (a reader may then briefly find no mart,
but still never half of one).

``report_year`` is the partition column and is not repeated inside the files; reports with no year
land in ``report_year=__HIVE_DEFAULT_PARTITION__``, which DuckDB and pyarrow read back as NULL.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import time
import uuid
from pathlib import Path

PARTITION_COLUMN = "report_year"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths (Linux renameat2); False when unsupported."""
    libc = _libc()
    fn = getattr(libc, "renameat2", None) if libc else None
    if fn is None:
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def swap_into_place(tmp: Path, final: Path) -> None:
    """Make ``tmp`` the content of ``final`` atomically; the previous content is removed."""
    if not final.exists():
        os.rename(tmp, final)
        return
    old = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
    if exchange(tmp, final):
        os.rename(tmp, old)  # tmp now holds the previous mart
    else:
        os.rename(final, old)
        os.rename(tmp, final)
    # The previous version stays aside (a reader that listed it a moment ago can still open its
    # files) and is removed by the next publish's cleanup_stale().


def table_columns(con, relation: str) -> list[str]:
    return [r[0] for r in con.execute(f"describe select * from {relation}").fetchall()]


def publish_relation(con, relation: str, marts_dir: Path, name: str) -> dict:
    """Write ``relation`` (a DuckDB table/view) to ``<marts_dir>/<name>/`` and swap it in.

    Partitioned by ``report_year`` when the relation has that column. An empty relation is written
    as one empty file so the mart's schema stays readable.
    """
    marts_dir.mkdir(parents=True, exist_ok=True)
    final = marts_dir / name
    tmp = marts_dir / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        cols = table_columns(con, relation)
        n_rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
        order = ", ".join(c for c in ("report_id",) if c in cols)
        query = f"select * from {relation}" + (f" order by {order}" if order else "")
        partitioned = PARTITION_COLUMN in cols and n_rows > 0
        if partitioned:
            con.execute(
                f"copy ({query}) to '{_sql_path(tmp)}' "
                f"(format parquet, partition_by ({PARTITION_COLUMN}), filename_pattern 'part_{{i}}', "
                f"compression zstd)"
            )
        else:
            # Empty, or no year column: one file. An empty partitioned mart keeps report_year as a
            # plain column (no partition folders exist to conflict with it).
            con.execute(f"copy ({query}) to '{_sql_path(tmp / 'part_0.parquet')}' (format parquet, compression zstd)")
        swap_into_place(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    n_files = sum(1 for _ in final.rglob("*.parquet"))
    return {"rows": int(n_rows), "files": n_files, "path": str(final), "partitioned": partitioned}


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")


def cleanup_stale(marts_dir: Path, grace_seconds: float = 60.0) -> None:
    """Remove previous mart versions and temp folders of interrupted publishes older than the grace period."""
    if not marts_dir.is_dir():
        return
    now = time.time()
    for p in marts_dir.iterdir():
        if p.name.startswith((".tmp-", ".old-")) and p.is_dir() and now - p.stat().st_mtime > grace_seconds:
            shutil.rmtree(p, ignore_errors=True)


def read_mart_sql(marts_dir: Path, name: str) -> str:
    """The contract's read expression for one mart."""
    return f"read_parquet('{_sql_path(marts_dir / name)}/**/*.parquet', hive_partitioning=true)"
