"""Publish the marts as one consistent snapshot: ``<warehouse>/marts`` is a symlink flipped atomically.

Every publish writes the complete set of marts into a new folder ``<warehouse>/_publishes/<publish_id>/`` (first
under a temporary name), with ``_publish.json`` (publish id, run id, time, row count and files per mart), and
then makes it current with **one** ``rename(2)``: a new symlink replaces ``<warehouse>/marts``. So

* ``<warehouse>/marts/<name>/report_year=YYYY/*.parquet`` keeps working for every plain parquet reader (DuckDB,
  pyarrow, pandas, polars) — no extension, no manifest to read;
* a reader sees all the marts of one publish or all those of the next, never a mix of two, a half-written mart or
  a missing file; a killed publish leaves the previous one current (its temporary folder is removed later);
* every file name carries its publish id (``part_<publish_id>_<i>.parquet``), so no path ever names two
  different files: a query that globs through ``marts`` while a publish lands either reads the publish it listed
  or fails with a clean "no such file" (retry it) — never a silent mix, never a partial read (no reader cache can
  confuse two versions of one path either);
* earlier publishes stay on disk for :data:`GRACE_SECONDS` (and the :data:`KEEP_LATEST` latest always): a reader
  that pins one publish — ``os.path.realpath(<warehouse>/marts)``, or ``path`` in ``marts/_publish.json`` —
  reads it whole, whatever lands meanwhile.

Why not Delta Lake or DuckLake: both need a reader that understands their log (DuckDB's ``delta``/``ducklake``
extensions, which cannot be downloaded here, or the ``deltalake`` package); a plain ``read_parquet`` glob over a
Delta table also reads files of superseded versions. The contract is plain hive-partitioned parquet, so the
snapshot is a folder and the commit is a symlink.

``report_year`` is the partition column and is not repeated inside the files; reports with no year land in
``report_year=__HIVE_DEFAULT_PARTITION__``, which DuckDB and pyarrow read back as NULL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PARTITION_COLUMN = "report_year"
PUBLISHES = "_publishes"
MANIFEST = "_publish.json"
GRACE_SECONDS = 900.0  # earlier publishes are kept this long after they stop being current …
KEEP_LATEST = 3  # … and the latest ones whatever their age
PAUSE_ENV = "GONGKAI_TEST_PUBLISH_PAUSE_S"  # test hook: sleep this long after each mart (kill -9 mid-publish)


def table_columns(con, relation: str) -> list[str]:
    return [r[0] for r in con.execute(f"describe select * from {relation}").fetchall()]


def write_mart(con, relation: str, folder: Path, stem: str = "part") -> dict:
    """Write ``relation`` (a DuckDB table/view) as parquet into ``folder`` (created), files named ``<stem>_<i>``.

    Partitioned by ``report_year`` when the relation has that column. An empty relation is written as one empty
    file so the mart's schema stays readable.
    """
    folder.mkdir(parents=True)
    cols = table_columns(con, relation)
    n_rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
    order = ", ".join(c for c in ("report_id",) if c in cols)
    query = f"select * from {relation}" + (f" order by {order}" if order else "")
    partitioned = PARTITION_COLUMN in cols and n_rows > 0
    if partitioned:
        con.execute(f"copy ({query}) to '{_sql_path(folder)}' (format parquet, partition_by ({PARTITION_COLUMN}), "
                    f"filename_pattern '{stem}_{{i}}', compression zstd)")
    else:
        # Empty, or no year column: one file. An empty partitioned mart keeps report_year as a plain column.
        con.execute(f"copy ({query}) to '{_sql_path(folder / f'{stem}_0.parquet')}' (format parquet, compression zstd)")
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet"))
    return {"rows": int(n_rows), "files": files, "partitioned": partitioned}


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Publish:
    """One publish in the making: marts written into a hidden folder, made current by :meth:`commit`."""

    root: Path  # the warehouse folder
    publish_id: str
    run_id: str | None = None
    marts: dict[str, dict] = field(default_factory=dict)

    @property
    def staging(self) -> Path:
        return self.root / PUBLISHES / f".tmp-{self.publish_id}"

    @property
    def final(self) -> Path:
        return self.root / PUBLISHES / self.publish_id

    def write(self, con, relation: str, name: str) -> dict:
        info = write_mart(con, relation, self.staging / name, stem=f"part_{self.publish_id}")
        self.marts[name] = info
        pause = float(os.environ.get(PAUSE_ENV) or 0)
        if pause:
            time.sleep(pause)
        return info

    def commit(self) -> dict:
        """Write ``_publish.json``, then flip ``<warehouse>/marts`` to this publish (one rename)."""
        manifest = {
            "publish_id": self.publish_id, "run_id": self.run_id,
            "published_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "path": str(self.final), "rows": {k: v["rows"] for k, v in self.marts.items()},
            "marts": self.marts,
        }
        (self.staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.rename(self.staging, self.final)
        _fsync_dir(self.final.parent)
        flip(self.root, self.final)
        return manifest


def new_publish(root: Path, run_id: str | None = None) -> Publish:
    (root / PUBLISHES).mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    pub = Publish(root, f"{stamp}-{uuid.uuid4().hex[:8]}", run_id)
    pub.staging.mkdir()
    return pub


def flip(root: Path, target: Path) -> None:
    """Make ``<root>/marts`` point at ``target`` with one rename of a new symlink over the old one."""
    marts = root / "marts"
    if marts.exists() and not marts.is_symlink():
        # a warehouse from before snapshots: its marts folder becomes a publish of its own (a moment without
        # marts, once)
        os.rename(marts, root / PUBLISHES / f"legacy-{uuid.uuid4().hex[:8]}")
    link = root / f".marts-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(target, root), link)
    os.replace(link, marts)
    _fsync_dir(root)


def current(root: Path) -> Path | None:
    """The publish folder ``marts`` points at (None before the first publish)."""
    marts = root / "marts"
    return marts.resolve() if marts.is_symlink() else (marts if marts.is_dir() else None)


def cleanup(root: Path, grace_seconds: float = GRACE_SECONDS, keep: int = KEEP_LATEST,
            now: Callable[[], float] = time.time) -> list[str]:
    """Remove interrupted publishes and publishes past their grace period (never the current one nor the latest
    ``keep``); returns what was removed."""
    folder = root / PUBLISHES
    if not folder.is_dir():
        return []
    cur = current(root)
    removed = []
    for p in folder.iterdir():
        if p.name.startswith(".tmp-"):  # a publish that never committed (killed): no reader can see it
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    for p in root.glob(".marts-*"):  # a symlink made by a publish killed before its rename
        p.unlink(missing_ok=True)
    done = sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for i, p in enumerate(done):
        if cur is not None and p.resolve() == cur:
            continue
        if i < keep or now() - p.stat().st_mtime < grace_seconds:
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p.name)
    return removed


def read_mart_sql(marts_dir: Path, name: str) -> str:
    """The contract's read expression for one mart."""
    return f"read_parquet('{_sql_path(marts_dir / name)}/**/*.parquet', hive_partitioning=true)"
