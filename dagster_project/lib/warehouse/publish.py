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
* a partition whose rows are those of the previous publish (same schema, same row digest:
  :func:`partition_digests`) is not written again: its files are hard-linked under the new publish's names (a file
  is never changed once written, so publishes may share one); adding one year's reports rewrites that year's
  partitions and those whose rows the new reports change (cross-year checks of the neighbouring years);
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
import hashlib
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


def write_mart(con, relation: str, folder: Path, stem: str = "part", previous: dict | None = None,
               previous_folder: Path | None = None) -> dict:
    """Write ``relation`` (a DuckDB table/view) as parquet into ``folder`` (created), files named ``<stem>_<i>``.

    Partitioned by ``report_year`` when the relation has that column. An empty relation is written as one empty
    file so the mart's schema stays readable.

    A partition whose rows equal those of the same partition in ``previous`` (the mart's entry in the current
    publish's manifest, its files in ``previous_folder``) is not written again: its files are hard-linked under
    this publish's names (a file is never changed once written, so two publishes may share it). Equal means
    the same schema (column names and types, DuckDB version) and the same :func:`partition_digests`.
    """
    folder.mkdir(parents=True)
    described = con.execute(f"describe select * from {relation}").fetchall()
    cols = [r[0] for r in described]
    schema = hashlib.sha256(json.dumps([duckdb_version(), [r[:2] for r in described]]).encode()).hexdigest()[:16]
    order_by = " order by report_id" if "report_id" in cols else ""
    digests = partition_digests(con, relation) if PARTITION_COLUMN in cols else {}
    partitions: dict[str, dict] = {}
    if digests:
        # unchanged partitions first: linked from the previous publish (a lost file puts its partition back in
        # the list to write); then one COPY writes the others beside them (overwrite_or_ignore: DuckDB refuses a
        # folder that is not empty otherwise; it leaves the linked partitions' folders as they are)
        same = {part for part, files in _unchanged(digests, schema, previous, previous_folder).items()
                if _link(previous_folder, files, folder / partition_dir(part), stem)}
        todo = [part for part in digests if part not in same]
        if todo:
            where = f" where {_partition_filter(todo)}" if same else ""
            con.execute(f"copy (select * from {relation}{where}{order_by}) to '{_sql_path(folder)}' "
                        f"(format parquet, partition_by ({PARTITION_COLUMN}), filename_pattern '{stem}_{{i}}', "
                        "compression zstd, overwrite_or_ignore)")
        for part, (n, digest) in digests.items():
            files = sorted(f"{partition_dir(part)}/{f.name}" for f in (folder / partition_dir(part)).glob("*.parquet"))
            partitions[part] = {"rows": n, "digest": digest, "files": files, "reused": part in same}
        n_rows = sum(n for n, _ in digests.values())
    else:
        # Empty, or no year column: one file. An empty partitioned mart keeps report_year as a plain column.
        con.execute(f"copy (select * from {relation}{order_by}) to '{_sql_path(folder / f'{stem}_0.parquet')}' "
                    "(format parquet, compression zstd)")
        n_rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet"))
    return {"rows": int(n_rows), "files": files, "partitioned": bool(digests), "schema": schema,
            "partitions": partitions}


def duckdb_version() -> str:
    import duckdb

    return duckdb.__version__


def partition_digests(con, relation: str) -> dict[str, tuple[int, str]]:
    """Per ``report_year`` partition (its folder's value; ``__HIVE_DEFAULT_PARTITION__`` for NULL): the row count and
    a digest of its rows — two sums of 64-bit hashes of every whole row (two seeds), so equal digests mean the
    same rows in any order, short of a collision of both sums at once (~2^-128 for data that differs)."""
    rows = con.execute(
        f"select {PARTITION_COLUMN}::varchar, count(*), sum(hash(_row)::hugeint)::varchar, "
        f"sum(hash(_row, 'gongkai')::hugeint)::varchar from {relation} _row group by 1").fetchall()
    return {(NULL_PARTITION if p is None else p): (int(n), f"{n}:{a}:{b}") for p, n, a, b in rows}


NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def partition_dir(part: str) -> str:
    """The folder of a partition (a key of :func:`partition_digests`) inside its mart."""
    return f"{PARTITION_COLUMN}={part}"


def _partition_filter(parts: list[str]) -> str:
    values = [p for p in parts if p != NULL_PARTITION]
    terms = [f"{PARTITION_COLUMN}::varchar in ({', '.join(_sql_str(v) for v in values)})"] if values else []
    if NULL_PARTITION in parts:
        terms.append(f"{PARTITION_COLUMN} is null")
    return "(" + " or ".join(terms) + ")"


def _sql_str(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def _unchanged(digests: dict, schema: str, previous: dict | None, previous_folder: Path | None
               ) -> dict[str, list[str]]:
    """The partitions whose rows equal the previous publish's: partition -> its files there."""
    if not previous or previous_folder is None or previous.get("schema") != schema:
        return {}
    before = previous.get("partitions") or {}
    return {part: before[part]["files"] for part, (_, digest) in digests.items()
            if part in before and before[part].get("digest") == digest and before[part].get("files")}


def _link(previous_folder: Path, files: list[str], target: Path, stem: str) -> bool:
    """Hard-link (or, where the file system has none, copy) a partition's files under this publish's names; False
    (and nothing left behind) when one of them is gone."""
    target.mkdir(parents=True)
    try:
        for i, rel in enumerate(files):
            try:
                os.link(previous_folder / rel, target / f"{stem}_{i}.parquet")
            except OSError:
                shutil.copyfile(previous_folder / rel, target / f"{stem}_{i}.parquet")
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        return False
    return True


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
    previous: dict = field(default_factory=dict)  # the manifest of the publish current when this one began
    previous_dir: Path | None = None  # … and its folder

    @property
    def staging(self) -> Path:
        return self.root / PUBLISHES / f".tmp-{self.publish_id}"

    @property
    def final(self) -> Path:
        return self.root / PUBLISHES / self.publish_id

    def write(self, con, relation: str, name: str) -> dict:
        """Write one mart; its partitions unchanged since the previous publish are linked, not written."""
        before = (self.previous.get("marts") or {}).get(name)
        info = write_mart(con, relation, self.staging / name, stem=f"part_{self.publish_id}", previous=before,
                          previous_folder=self.previous_dir / name if self.previous_dir else None)
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
    pub.previous_dir = current(root)
    if pub.previous_dir is not None:
        try:
            pub.previous = json.loads((pub.previous_dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none (a warehouse from before snapshots) or unreadable: write everything
            pub.previous = {}
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
