"""Scan the landing folder, read and parse new content, and load parse rows into DuckDB in bulk.

Incremental by content hash:

* a file whose (size, mtime) did not change since the last run keeps its known hash and is not read;
* a file that is read is hashed, and the **same bytes** go to ``parse_bytes`` (never read twice);
* a content already parsed by the current parser version (``parse_key`` in ``raw.parsed_reports``)
  is not parsed again: the parse results stay cached in the warehouse.

Everything is columnar: workers flatten each parse result to a few lists, the main process
concatenates them and hands Arrow tables to DuckDB (no row-by-row inserts).
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from dagster_project.lib.warehouse.codes import CODE_COLUMNS, code_rows
from dagster_project.lib.warehouse.paths import PARSING_DIR

FORMAT_ALIASES = {"htm": "html", "shtml": "html", "xhtml": "html", "text": "txt", "doc": "doc"}
POOL_THRESHOLD = 48  # below this many files to parse, a process pool costs more than it saves
# Version of the raw row layout: part of the parse cache key (parser_version), so that a change of what is
# stored per parse (2: raw.cell_origins) re-parses cached contents instead of leaving them without the new rows.
RAW_FORMAT = "2"


# ---------------------------------------------------------------- scanning


@dataclass(frozen=True)
class FileStat:
    """One file of the landing folder, by its path relative to the folder."""

    source_path: str
    size_bytes: int
    mtime_ns: int


def ext_format(source_path: str) -> str:
    """The format named by a file's extension (``txt``, ``html``, ``docx``, ``pdf`` …)."""
    suffix = Path(source_path).suffix.lower().lstrip(".")
    return FORMAT_ALIASES.get(suffix, suffix) or "unknown"


def scan_landing(landing: Path) -> list[FileStat]:
    """Every regular file under ``landing`` (hidden files and folders skipped), sorted by path."""
    out: list[FileStat] = []
    if not landing.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(landing):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith("."):
                continue
            full = Path(dirpath) / name
            try:
                st = full.stat()
            except OSError:
                continue
            rel = full.relative_to(landing).as_posix()
            out.append(FileStat(rel, st.st_size, st.st_mtime_ns))
    out.sort(key=lambda f: f.source_path)
    return out


@lru_cache(maxsize=1)
def parser_version() -> str:
    """A fingerprint of the parser's source and of the raw row layout (:data:`RAW_FORMAT`): cached parse
    results are reused only for the same one."""
    h = hashlib.sha256(f"raw-format:{RAW_FORMAT}\n".encode())
    if PARSING_DIR.is_dir():  # hashing the source is enough (and avoids importing the parser here)
        for p in sorted(PARSING_DIR.rglob("*.py")):
            h.update(p.relative_to(PARSING_DIR).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def parse_key(content_sha256: str, fmt: str) -> str:
    """Cache key of one parse: the content hash and the format its name gives it."""
    return f"{content_sha256}.{fmt}"


@dataclass
class Plan:
    """Which landing files must be read this run, and what is already known about the others."""

    listing: list[FileStat]
    to_read: list[FileStat]
    known: dict[str, tuple[str, str]]  # source_path -> (content_sha256, parse_key) for unchanged files


def plan_reads(
    listing: Sequence[FileStat],
    previous: dict[str, tuple[int, int, str, str]],
    cached_keys: set[str],
) -> Plan:
    """Split the listing into files to read and files whose hash and parse are already known.

    ``previous`` maps source_path -> (size_bytes, mtime_ns, content_sha256, parse_key) from the last
    run; ``cached_keys`` are the parse keys with a result from the current parser version.
    """
    to_read: list[FileStat] = []
    known: dict[str, tuple[str, str]] = {}
    for f in listing:
        prev = previous.get(f.source_path)
        if prev and prev[0] == f.size_bytes and prev[1] == f.mtime_ns and prev[3] in cached_keys:
            known[f.source_path] = (prev[2], prev[3])
        else:
            to_read.append(f)
    return Plan(list(listing), to_read, known)


# ---------------------------------------------------------------- reading + parsing (in workers)

_SKIP_KEYS: frozenset[str] = frozenset()
_PARSE: Callable[[bytes, str], dict] | None = None


def _init_worker(skip_keys: frozenset[str]) -> None:
    global _SKIP_KEYS
    _SKIP_KEYS = skip_keys


def _parser() -> Callable[[bytes, str], dict]:
    global _PARSE
    if _PARSE is None:
        from dagster_project.lib.parsing.api import parse_bytes

        _PARSE = parse_bytes
    return _PARSE


def _num(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None if v is None else float(v)
    if isinstance(v, (int, float)):
        return None if (isinstance(v, float) and math.isnan(v)) else float(v)
    try:
        return float(str(v).replace(",", ""))
    except ValueError:
        return None


def _int(v: Any) -> int | None:
    f = _num(v)
    if f is None or math.isinf(f):
        return None
    return int(round(f))


def _split(key: str) -> tuple[str, str]:
    a, _, b = key.partition("__")
    return a, b


def repair_text(repair: Any) -> str | None:
    """``{"cells": {...}, "message": ...}`` as one line: ``cell = value, … (message)``."""
    if not repair:
        return None
    if not isinstance(repair, dict):
        return str(repair)
    cells = repair.get("cells") or {}
    text = ", ".join(f"{k} = {v}" for k, v in cells.items())
    msg = repair.get("message")
    if msg:
        text = f"{text} ({msg})" if text else str(msg)
    return text or None


def flatten(result: dict) -> dict[str, Any]:
    """One parse result (CONTRACT §3) as compact rows for the raw tables."""
    checks = result.get("checks") or []
    n_err = sum(1 for c in checks if c.get("severity") == "error")
    n_warn = sum(1 for c in checks if c.get("severity") == "warn")
    ambiguous = result.get("ambiguous") or {}
    repair = result.get("suggested_repair")
    year = _int(result.get("report_year"))
    publish_date = result.get("publish_date") or None
    report = (
        str(result.get("status") or "unreadable"),
        result.get("error"),
        result.get("agency_name") or None,
        year,
        result.get("template_version") or None,
        str(publish_date) if publish_date else None,
        result.get("source_format") or None,
        repair_text(repair),
        json.dumps(repair, ensure_ascii=False) if repair else None,
        json.dumps(ambiguous, ensure_ascii=False) if ambiguous else None,
        len(ambiguous),
        n_err,
        n_warn,
        result.get("t2") is not None,
        result.get("t3") is not None,
        result.get("t4") is not None,
    )
    t2 = [(*_split(k), _num(v)) for k, v in (result.get("t2") or {}).items()]
    t3 = [(*_split(k), _int(v)) for k, v in (result.get("t3") or {}).items()]
    t4 = [(*_split(k), _int(v)) for k, v in (result.get("t4") or {}).items()]
    origins = []  # the parser's value_origin: cells not printed as such (derived, blank_as_zero, …)
    for cell, origin in (result.get("value_origin") or {}).items():
        if not origin or origin == "printed":
            continue
        tbl = next((t for t in ("t3", "t4", "t2") if cell in (result.get(t) or {})), None)
        if tbl is not None:
            origins.append((tbl, str(cell), str(origin)))
    ch = []
    for i, c in enumerate(checks):
        cells = c.get("cells") or []
        if isinstance(cells, str):
            cells = [cells]
        ch.append((i + 1, str(c.get("check_id")), str(c.get("severity")), [str(x) for x in cells],
                   _num(c.get("expected")), _num(c.get("actual")), c.get("message")))
    return {"report": report, "t2": t2, "t3": t3, "t4": t4, "checks": ch, "origins": origins}


def unreadable_result(source_path: str, error: str) -> dict:
    """The result for a file that could not be read or whose parse crashed."""
    return {"source_path": source_path, "source_format": ext_format(source_path), "status": "unreadable",
            "error": error, "agency_name": None, "report_year": None, "template_version": None,
            "publish_date": None, "t2": None, "t3": None, "t4": None, "ambiguous": {},
            "suggested_repair": None, "checks": []}


def read_and_parse(task: tuple[str, str]) -> tuple[str, str, str, dict | None]:
    """Read one file once, hash it, and parse the same bytes unless that content is cached.

    Returns (source_path, content_sha256, parse_key, flattened result or None when cached).
    """
    abs_path, rel = task
    fmt = ext_format(rel)
    try:
        data = Path(abs_path).read_bytes()
    except OSError as exc:
        sha = hashlib.sha256(b"unreadable-file:" + rel.encode()).hexdigest()
        return rel, sha, parse_key(sha, fmt), flatten(unreadable_result(rel, f"cannot read file: {exc}"))
    sha = hashlib.sha256(data).hexdigest()
    key = parse_key(sha, fmt)
    if key in _SKIP_KEYS:
        return rel, sha, key, None
    try:
        result = _parser()(data, rel)
    except Exception as exc:  # the parser must never take the run down with it
        result = unreadable_result(rel, f"parser failed: {type(exc).__name__}: {exc}")
    return rel, sha, key, flatten(result)


def parse_chunk(tasks: list[tuple[str, str]]) -> tuple[list[tuple[str, str, str, bool]], dict[str, pa.Table]]:
    """Worker body: read/hash/parse a chunk of files and return columnar rows.

    Returns ([(source_path, content_sha256, parse_key, parsed?)], Arrow tables of the new parses), so
    the main process only concatenates tables (pickled as Arrow buffers), with no per-row Python work.
    """
    version = parser_version()
    batch = Batch()
    hashes = []
    for task in tasks:
        rel, sha, key, flat = read_and_parse(task)
        hashes.append((rel, sha, key, flat is not None))
        if flat is not None:
            batch.add(key, sha, version, flat)
    return hashes, batch.tables()


def run_reads(
    landing: Path,
    files: Sequence[FileStat],
    skip_keys: set[str],
    jobs: int = 2,
    chunk: int = 100,
) -> Iterable[tuple[list[tuple[str, str, str, bool]], dict[str, pa.Table]]]:
    """Read + parse ``files`` chunk by chunk, in a process pool when there are enough of them."""
    tasks = [(str(landing / f.source_path), f.source_path) for f in files]
    frozen = frozenset(skip_keys)
    if jobs <= 1 or len(tasks) < POOL_THRESHOLD:
        _init_worker(frozen)
        for i in range(0, len(tasks), chunk):
            yield parse_chunk(tasks[i:i + chunk])
        return
    size = max(8, min(chunk, len(tasks) // (jobs * 4) or 1))
    chunks = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    # forkserver: workers start from a clean interpreter (no Dagster threads forked) and import
    # only the parser, once, in the server.
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["dagster_project.lib.warehouse.ingest", "dagster_project.lib.parsing.api"])
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                             initargs=(frozen,)) as pool:
        yield from pool.map(parse_chunk, chunks)


# ---------------------------------------------------------------- columnar batches

REPORT_FIELDS = (
    ("parse_key", pa.string()),
    ("content_sha256", pa.string()),
    ("parser_version", pa.string()),
    ("parse_status", pa.string()),
    ("error", pa.string()),
    ("agency_name", pa.string()),
    ("report_year", pa.int32()),
    ("template_version", pa.string()),
    ("publish_date", pa.string()),
    ("parsed_format", pa.string()),
    ("suggested_repair", pa.string()),
    ("suggested_repair_json", pa.string()),
    ("ambiguous_json", pa.string()),
    ("n_ambiguous", pa.int32()),
    ("n_errors", pa.int32()),
    ("n_warnings", pa.int32()),
    ("has_t2", pa.bool_()),
    ("has_t3", pa.bool_()),
    ("has_t4", pa.bool_()),
)
CELL_SCHEMAS = {
    "t2_cells": pa.schema([("parse_key", pa.string()), ("item", pa.string()), ("measure", pa.string()),
                           ("value", pa.float64())]),
    "t3_cells": pa.schema([("parse_key", pa.string()), ("row_code", pa.string()), ("col_code", pa.string()),
                           ("value", pa.int64())]),
    "t4_cells": pa.schema([("parse_key", pa.string()), ("proceeding", pa.string()), ("result", pa.string()),
                           ("value", pa.int64())]),
    "checks": pa.schema([("parse_key", pa.string()), ("check_seq", pa.int32()), ("check_id", pa.string()),
                         ("severity", pa.string()), ("cells", pa.list_(pa.string())), ("expected", pa.float64()),
                         ("actual", pa.float64()), ("message", pa.string())]),
    "cell_origins": pa.schema([("parse_key", pa.string()), ("tbl", pa.string()), ("cell", pa.string()),
                               ("origin", pa.string())]),
}
LANDING_SCHEMA = pa.schema([("source_path", pa.string()), ("source_format", pa.string()),
                            ("size_bytes", pa.int64()), ("mtime_ns", pa.int64()),
                            ("content_sha256", pa.string()), ("parse_key", pa.string())])


@dataclass
class Batch:
    """Parse rows of one run, column by column."""

    reports: list[tuple] = field(default_factory=list)
    cells: dict[str, list[tuple]] = field(default_factory=lambda: {k: [] for k in CELL_SCHEMAS})
    seen_keys: set[str] = field(default_factory=set)

    def add(self, key: str, sha: str, version: str, flat: dict) -> None:
        if key in self.seen_keys:  # identical content read twice in one run: parsed once is enough
            return
        self.seen_keys.add(key)
        self.reports.append((key, sha, version, *flat["report"]))
        for name, src in (("t2_cells", "t2"), ("t3_cells", "t3"), ("t4_cells", "t4"), ("checks", "checks"),
                          ("cell_origins", "origins")):
            self.cells[name].extend((key, *row) for row in flat[src])

    def tables(self) -> dict[str, pa.Table]:
        out = {"parsed_reports": _table(self.reports, pa.schema(list(REPORT_FIELDS)))}
        for name, schema in CELL_SCHEMAS.items():
            out[name] = _table(self.cells[name], schema)
        return out


def _table(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    cols = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.Table.from_arrays([pa.array(list(c), type=f.type) for c, f in zip(cols, schema)], schema=schema)


def listing_table(plan: Plan, hashes: dict[str, tuple[str, str]]) -> pa.Table:
    """The current landing listing with each file's content hash and parse key."""
    rows = []
    for f in plan.listing:
        sha, key = hashes.get(f.source_path) or plan.known[f.source_path]
        rows.append((f.source_path, ext_format(f.source_path), f.size_bytes, f.mtime_ns, sha, key))
    return _table(rows, LANDING_SCHEMA)


def codes_table() -> pa.Table:
    """``raw.codes`` from template.py."""
    schema = pa.schema([(c, pa.int32() if c == "sort_order" else pa.string()) for c in CODE_COLUMNS])
    return _table(code_rows(), schema)


# ---------------------------------------------------------------- DuckDB

RAW_DDL = {
    "landing_files": "source_path varchar, source_format varchar, size_bytes bigint, mtime_ns bigint, "
                     "content_sha256 varchar, parse_key varchar",
    "parsed_reports": ", ".join(f"{n} {_t}" for n, _t in (
        ("parse_key", "varchar"), ("content_sha256", "varchar"), ("parser_version", "varchar"),
        ("parse_status", "varchar"), ("error", "varchar"), ("agency_name", "varchar"), ("report_year", "integer"),
        ("template_version", "varchar"), ("publish_date", "varchar"), ("parsed_format", "varchar"),
        ("suggested_repair", "varchar"), ("suggested_repair_json", "varchar"), ("ambiguous_json", "varchar"),
        ("n_ambiguous", "integer"), ("n_errors", "integer"), ("n_warnings", "integer"), ("has_t2", "boolean"),
        ("has_t3", "boolean"), ("has_t4", "boolean"))),
    "t2_cells": "parse_key varchar, item varchar, measure varchar, value double",
    "t3_cells": "parse_key varchar, row_code varchar, col_code varchar, value bigint",
    "t4_cells": "parse_key varchar, proceeding varchar, result varchar, value bigint",
    "checks": "parse_key varchar, check_seq integer, check_id varchar, severity varchar, cells varchar[], "
              "expected double, actual double, message varchar",
    "cell_origins": "parse_key varchar, tbl varchar, cell varchar, origin varchar",
    "codes": ", ".join(f"{c} {'integer' if c == 'sort_order' else 'varchar'}" for c in CODE_COLUMNS),
}
PARSE_TABLES = ("parsed_reports", "t2_cells", "t3_cells", "t4_cells", "checks", "cell_origins")


def ensure_raw_schema(con) -> None:
    """Create the ``raw`` (loaded) and ``batch`` (hand-off between ingest steps) schemas."""
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists batch")
    for name, ddl in RAW_DDL.items():
        con.execute(f"create table if not exists raw.{name} ({ddl})")


def previous_state(con) -> tuple[dict[str, tuple[int, int, str, str]], set[str]]:
    """What the warehouse already knows: last listing, and parse keys valid for this parser."""
    ensure_raw_schema(con)
    prev = {r[0]: (r[1], r[2], r[3], r[4]) for r in con.execute(
        "select source_path, size_bytes, mtime_ns, content_sha256, parse_key from raw.landing_files").fetchall()}
    keys = {r[0] for r in con.execute(
        "select parse_key from raw.parsed_reports where parser_version = ?", [parser_version()]).fetchall()}
    return prev, keys


def write_batch(con, listing: pa.Table, tables: dict[str, pa.Table]) -> None:
    """Stage one run's listing and new parse rows in ``batch.*`` (replaced each run)."""
    ensure_raw_schema(con)
    con.register("_listing", listing)
    con.execute("create or replace table batch.landing_files as select * from _listing")
    con.unregister("_listing")
    for name, tbl in tables.items():
        con.register("_tbl", tbl)
        con.execute(f"create or replace table batch.{name} as select * from _tbl")
        con.unregister("_tbl")


def load_batch(con) -> dict[str, int]:
    """Merge ``batch.*`` into ``raw.*`` in one transaction; returns row counts of the raw tables."""
    ensure_raw_schema(con)
    codes = codes_table()
    con.execute("begin transaction")
    try:
        have_batch = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'batch'").fetchall()}
        if "parsed_reports" in have_batch:
            for name in PARSE_TABLES:
                con.execute(f"delete from raw.{name} where parse_key in (select parse_key from batch.parsed_reports)")
                con.execute(f"insert into raw.{name} select * from batch.{name}")
        if "landing_files" in have_batch:
            con.execute("delete from raw.landing_files")
            con.execute("insert into raw.landing_files select * from batch.landing_files")
        con.register("_codes", codes)
        con.execute("delete from raw.codes")
        con.execute("insert into raw.codes select * from _codes")
        con.unregister("_codes")
        for name in sorted(have_batch):
            con.execute(f"drop table batch.{name}")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return {name: con.execute(f"select count(*) from raw.{name}").fetchone()[0] for name in RAW_DDL}


def connect(path: Path, read_only: bool = False):
    """A DuckDB connection (close it before dbt runs: single writer, P6)."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set threads to 2")
    return con


@dataclass
class IngestStats:
    n_files: int = 0
    n_read: int = 0
    n_parsed: int = 0
    n_cache_hits: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def parse_new(landing: Path, plan: Plan, cached_keys: set[str], jobs: int = 2,
              progress: Callable[[int], None] | None = None) -> tuple[pa.Table, dict[str, pa.Table], IngestStats]:
    """Read the planned files, parse new contents; return the listing and the new parse rows."""
    import pyarrow.compute as pc

    hashes: dict[str, tuple[str, str]] = {}
    stats = IngestStats(n_files=len(plan.listing), n_read=len(plan.to_read))
    parts: dict[str, list[pa.Table]] = {}
    seen: set[str] = set()
    done = 0
    for chunk_hashes, tables in run_reads(landing, plan.to_read, cached_keys, jobs=jobs):
        for rel, sha, key, parsed in chunk_hashes:
            hashes[rel] = (sha, key)
            if not parsed:
                stats.n_cache_hits += 1
        keys = tables["parsed_reports"].column("parse_key").to_pylist()
        dup = [k for k in keys if k in seen]  # identical content parsed in two chunks: keep the first
        if dup:
            keep = {name: pc.invert(pc.is_in(t.column("parse_key"), value_set=pa.array(dup)))
                    for name, t in tables.items()}
            tables = {name: t.filter(keep[name]) for name, t in tables.items()}
            keys = tables["parsed_reports"].column("parse_key").to_pylist()
        seen.update(keys)
        for name, t in tables.items():
            parts.setdefault(name, []).append(t)
        for status in tables["parsed_reports"].column("parse_status").to_pylist():
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
        stats.n_parsed += len(keys)
        done += len(chunk_hashes)
        if progress:
            progress(done)
    empty = Batch().tables()
    out = {name: pa.concat_tables(parts[name]) if name in parts else t for name, t in empty.items()}
    return listing_table(plan, hashes), out, stats
