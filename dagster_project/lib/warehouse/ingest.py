"""Read, hash and parse the landing files that need it; commit the results to the parse cache chunk by chunk.

* A file is read again only when its signature (size, mtime, ctime, inode) differs from its last committed read,
  or when its content has no parse from the current parser version. ctime changes with every write, so a
  same-size edit whose mtime was restored is still noticed; content identity itself is always the sha256 of the
  bytes read (README, "From the landing folder to the records").
* A content already parsed by the current parser version is only hashed, never parsed again.
* Parsing runs in ``jobs`` worker processes; each worker writes its own chunk files (``cache.write_chunk``: the
  rename is the commit), so parse results never pile up in the main process and a crash loses at most the
  chunks in flight.
* **Fault isolation**: whatever happens while reading, parsing or flattening one file (an exception, a value
  outside its storage type or plausibility bound, a parse that runs over :data:`FILE_TIMEOUT_S`, a worker
  process that dies) concerns that file only: it becomes ``unreadable`` with ``internal_error: …``, or a
  quarantined report with a ``P.BOUND`` error check, and the run goes on.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing as mp
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from dagster_project.lib.parsing.template import VALUE_BOUND, cell_kind
from dagster_project.lib.warehouse import cache
from dagster_project.lib.warehouse.landing import FileStat, ext_format
from dagster_project.lib.warehouse.paths import PARSING_DIR, hash_files
from dagster_project.lib.warehouse.schema import CACHE_SCHEMA, CELL_STRUCT, CHECK_STRUCT

MAX_LONE_DEATHS = 3  # this many files in a row each killing a worker on its own: the workers are broken, not the files
POOL_THRESHOLD = 48  # below this many files to read, a process pool costs more than it saves
MAX_FILE_BYTES = 100 * 2**20  # larger files are unreadable ("file too large"); scans of a report stay far below
MAX_UNPACKED_BYTES = 200 * 2**20  # a DOCX (zip) whose members would expand beyond this is unreadable (zip bomb)
READ_AHEAD_FILES = 32  # a worker's reads in flight ahead of its parser (read_ahead): at most this many files …
READ_AHEAD_BYTES = 32 * 2**20  # … and this many bytes (listed sizes; one file always)
READ_AHEAD_THREADS = 4
FILE_TIMEOUT_S = 120  # a file whose parse runs longer is unreadable ("internal_error: … timed out")
# Version of the cached payload layout: part of the parser fingerprint, so a change of what is stored per parse
# re-parses cached contents.
CACHE_FORMAT = "4"  # 4: cells carry ocr_confidence


@lru_cache(maxsize=1)
def parser_version() -> str:
    """A fingerprint of the parser's source and of the cache layout: cached parses are reused only for the same."""
    h = hashlib.sha256(f"cache-format:{CACHE_FORMAT}\n".encode())
    if PARSING_DIR.is_dir():  # hashing the source is enough (and avoids importing the parser here)
        hash_files(h, PARSING_DIR, PARSING_DIR.rglob("*.py"))
    return h.hexdigest()[:16]


def parse_key(content_sha256: str, fmt: str) -> str:
    """Cache key of one parse: the content hash and the format the file name gives it."""
    return f"{content_sha256}.{fmt}"


# ---------------------------------------------------------------- planning


@dataclass
class Plan:
    """Which listed files must be read this run; the others' latest committed read is still valid."""

    listing: list[FileStat]
    to_read: list[FileStat]
    skip_keys: set[str]  # contents with a current parse: hash only


def plan_reads(listing: Sequence[FileStat], state: cache.State) -> Plan:
    to_read = []
    for f in listing:
        prev = state.reads.get(f.source_path)
        if prev is None or prev.signature != f.signature() or prev.parse_key not in state.parsed_keys:
            to_read.append(f)
    return Plan(list(listing), to_read, set(state.parsed_keys))


# ---------------------------------------------------------------- one file (in a worker)



_MAX_COUNT = VALUE_BOUND["count"]


class FileTimeout(Exception):
    pass


def _number(v: Any) -> float | None:
    """A cell value as a float (exact for every value within the bounds), None for blank; ValueError otherwise."""
    if v is None:
        return None
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is not a number")
    if isinstance(v, int):
        if abs(v) > 2**53:
            raise ValueError(f"{v} is beyond any plausible count")
        return float(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{v!r} is not a finite number")
        return v
    raise ValueError(f"{v!r} ({type(v).__name__}) is not a number")


def _check_bound(tbl: str, key: str, value: float) -> str | None:
    """Why a value cannot be stored as this cell (None when it can)."""
    kind = cell_kind(tbl, key)
    bound = VALUE_BOUND[kind]  # the parser's own plausibility bounds (template.py): one declaration
    if abs(value) > bound:
        return f"{value:.0f} is above the plausibility bound {bound:,.0f} for this cell (digits that could not be split?)"
    if kind in ("count", "signed") and value != int(value):
        return f"{value} is not a whole number"
    return None


def _float_or_none(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def _year(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        return None
    try:
        y = int(v)
    except ValueError:
        return None
    return y if 1990 <= y <= 2100 else None


def _iso_date(v: Any) -> str | None:
    s = str(v or "")[:10]
    if len(s) == 10 and s[4] == "-" and s[7] == "-" and (s[:4] + s[5:7] + s[8:]).isdigit():
        return s
    return None


def flatten_result(result: dict) -> dict:
    """One parse result (CONTRACT §3) as the payload columns of a cache row.

    Values outside their storage type or plausibility bound are not stored: the cell becomes null and a
    ``P.BOUND`` error check says why (the report is then quarantined, never silently "fixed").
    """
    origins = result.get("value_origin") or {}
    ocr_conf = result.get("ocr_confidence") or {}
    # cells column by column (the cache stores them as list<struct>): no dict per cell
    tbls: list[str] = []
    rows: list[str] = []
    cols: list[str] = []
    values: list[float | None] = []
    origs: list[str | None] = []
    confs: list[float | None] = []
    bound_checks = []
    for tbl in ("t2", "t3", "t4"):
        table = result.get(tbl)
        if not table:
            continue
        counts = tbl != "t2"
        for key, raw in table.items():
            key = str(key)
            if counts and type(raw) is int and -_MAX_COUNT <= raw <= _MAX_COUNT:  # the common case, checked
                value = float(raw)
            elif raw is None:
                value = None
            else:
                why = None
                try:
                    value = _number(raw)
                except ValueError as exc:
                    value, why = None, str(exc)
                if value is not None:
                    why = _check_bound(tbl, key, value)
                    if why:
                        value = None
                if why:
                    bound_checks.append({"check_id": "P.BOUND", "severity": "error", "cells": [key],
                                         "expected": None, "actual": _float_or_none(raw),
                                         "message": f"P.BOUND table {tbl[1]} cell {key}: {why}; stored as null"})
            row, _, col = key.partition("__")
            origin = origins.get(key)
            tbls.append(tbl)
            rows.append(row)
            cols.append(col)
            values.append(value)
            origs.append(str(origin) if origin and origin != "printed" else None)
            confs.append(_float_or_none(ocr_conf.get(key)) if ocr_conf else None)
    cells = {"tbl": tbls, "row": rows, "col": cols, "value": values, "origin": origs, "ocr_confidence": confs}
    checks = []
    for c in [*(result.get("checks") or []), *bound_checks]:
        cl = c.get("cells") or []
        if isinstance(cl, str):
            cl = [cl]
        checks.append({"check_id": str(c.get("check_id")), "severity": str(c.get("severity")),
                       "cells": [str(x) for x in cl], "expected": _float_or_none(c.get("expected")),
                       "actual": _float_or_none(c.get("actual")),
                       "message": None if c.get("message") is None else str(c.get("message"))})
    status = str(result.get("status") or "unreadable")
    if bound_checks and status == "ok":
        status = "invariant_errors"
    detected = result.get("template_detected") or {}
    repair = result.get("suggested_repair")
    ambiguous = result.get("ambiguous") or {}
    return {
        "parse_status": status,
        "error": None if result.get("error") is None else str(result.get("error")),
        "source_format": result.get("source_format") or None,
        "agency_name": str(result["agency_name"]) if result.get("agency_name") else None,
        "report_year": _year(result.get("report_year")),
        "template_version": result.get("template_version") or None,
        "template_t2": detected.get("t2") or None,
        "publish_date": _iso_date(result.get("publish_date")),
        "suggested_repair_json": json.dumps(repair, ensure_ascii=False) if repair else None,
        "ambiguous_json": json.dumps(ambiguous, ensure_ascii=False) if ambiguous else None,
        "has_t2": result.get("t2") is not None,
        "has_t3": result.get("t3") is not None,
        "has_t4": result.get("t4") is not None,
        "cells": cells,
        "checks": checks,
    }


NO_CELLS: dict[str, list] = {"tbl": [], "row": [], "col": [], "value": [], "origin": [], "ocr_confidence": []}


def unreadable_payload(fmt: str, error: str) -> dict:
    return {"parse_status": "unreadable", "error": error, "source_format": fmt, "agency_name": None,
            "report_year": None, "template_version": None, "template_t2": None, "publish_date": None,
            "suggested_repair_json": None, "ambiguous_json": None, "has_t2": False, "has_t3": False,
            "has_t4": False, "cells": NO_CELLS, "checks": []}


_PARSE: Callable[[bytes, str], dict] | None = None
DEFAULT_PARSER = "dagster_project.lib.parsing.api:parse_bytes"


def load_parser(spec: str = DEFAULT_PARSER) -> Callable[[bytes, str], dict]:
    """The parse function named ``module:attribute`` (the one seam between ingest and the parser)."""
    import importlib

    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def _parser() -> Callable[[bytes, str], dict]:
    global _PARSE
    if _PARSE is None:
        _PARSE = load_parser()
    return _PARSE


def _with_timeout(fn: Callable[[], dict], seconds: float) -> dict:
    """Run ``fn`` with a SIGALRM deadline when we are a main thread (worker processes are)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        return fn()

    def _alarm(_signum, _frame):
        raise FileTimeout(f"parsing took longer than {seconds:g} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _read(f: FileStat) -> tuple[bytes | None, os.stat_result | None, str | None]:
    """The file's bytes and the stat of what was read; never opens anything but a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(f.fs_path or f.source_path, flags)
    except OSError as exc:
        return None, None, f"cannot open the file: {exc.strerror or exc}"
    try:
        st = os.fstat(fd)
        import stat as _stat

        if not _stat.S_ISREG(st.st_mode):
            return None, st, "not a regular file: not read"
        if st.st_size > MAX_FILE_BYTES:
            return None, st, f"file too large: {st.st_size:,} bytes (limit {MAX_FILE_BYTES:,})"
        chunks, total = [], 0
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            total += len(b)
            if total > MAX_FILE_BYTES:
                return None, st, f"file too large: more than {MAX_FILE_BYTES:,} bytes (limit)"
            chunks.append(b)
        return b"".join(chunks), st, None
    except OSError as exc:
        return None, None, f"cannot read the file: {exc.strerror or exc}"
    finally:
        os.close(fd)


def archive_problem(data: bytes) -> str | None:
    """Why a zip container (DOCX) must not be unpacked: members that would expand past the limit (a zip bomb).
    Python's zipfile never unpacks a member past the size its directory declares, so the declared sizes bound
    what reading it can cost."""
    if not data.startswith(b"PK\x03\x04"):
        return None
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None  # not a readable zip: the reader says so
    if unpacked > MAX_UNPACKED_BYTES:
        return (f"archive expands to {unpacked:,} bytes from {len(data):,} (limit {MAX_UNPACKED_BYTES:,}): "
                "not unpacked (zip bomb?)")
    return None


def read_ahead(files: Sequence[FileStat], window_bytes: int = READ_AHEAD_BYTES,
               window_files: int = READ_AHEAD_FILES) -> Iterator[tuple[FileStat, int, tuple]]:
    """``(file, read_at_ns, _read(file))`` in order, the next files read by threads while the caller parses.

    On a cold page cache a worker that reads then parses leaves its core idle for every read (the national year:
    563 instead of ~800 files/s). Up to ``window_files`` files or ``window_bytes`` (by their listed sizes) are in
    flight, at least one: memory stays bounded whatever the files' sizes.
    """
    def timed(f: FileStat) -> tuple[int, tuple]:
        return time.time_ns(), _read(f)

    with ThreadPoolExecutor(max_workers=READ_AHEAD_THREADS, thread_name_prefix="read-ahead") as ex:
        pending: deque = deque()
        in_flight = 0
        it = iter(files)
        nxt = next(it, None)
        while pending or nxt is not None:
            while nxt is not None and (not pending or (len(pending) < window_files
                                                       and in_flight + nxt.size_bytes <= window_bytes)):
                pending.append((nxt, ex.submit(timed, nxt)))
                in_flight += nxt.size_bytes
                nxt = next(it, None)
            f, fut = pending.popleft()
            in_flight -= f.size_bytes
            read_at, res = fut.result()
            yield f, read_at, res


def process_file(f: FileStat, skip_keys: frozenset[str] | set[str], version: str,
                 read: tuple[int, tuple] | None = None) -> dict:
    """Read (unless ``read`` gives ``(read_at_ns, _read(f))``), hash and (unless cached) parse one file: its cache
    row. Never raises."""
    fmt = ext_format(f.source_path)
    read_at, (data, st, error) = read if read is not None else (time.time_ns(), _read(f))
    row = {"read_at_ns": read_at, "source_path": f.source_path, "size_bytes": f.size_bytes,
           "mtime_ns": f.mtime_ns, "ctime_ns": f.ctime_ns, "inode": f.inode, "parser_version": version}
    if st is not None:
        row.update(size_bytes=st.st_size, mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns, inode=st.st_ino)
    if data is None:
        # not read: an id from the path and the reason, so the file still has its own row
        sha = hashlib.sha256(f"unreadable-file:{f.source_path}:{error}".encode("utf-8", "backslashreplace")).hexdigest()
        row.update(content_sha256=sha, parse_key=parse_key(sha, fmt), parsed=True, **unreadable_payload(fmt, error))
        return row
    sha = hashlib.sha256(data).hexdigest()
    key = parse_key(sha, fmt)
    row.update(content_sha256=sha, parse_key=key)
    if key in skip_keys:
        row["parsed"] = False
        return row
    if not data:
        row.update(parsed=True, **unreadable_payload(fmt, "empty file"))
        return row
    bomb = archive_problem(data)
    if bomb:
        row.update(parsed=True, **unreadable_payload(fmt, bomb))
        return row
    try:
        name = os.path.basename(f.source_path)
        payload = flatten_result(_with_timeout(lambda: _parser()(data, name), FILE_TIMEOUT_S))
    except Exception as exc:  # noqa: BLE001 - one file never takes the run down
        payload = unreadable_payload(fmt, f"internal_error: {type(exc).__name__}: {exc}"[:2000])
    row.update(parsed=True, **payload)
    return row


# ---------------------------------------------------------------- chunks


def rows_table(rows: list[dict]) -> pa.Table:
    """Cache rows (dicts) as one Arrow table of :data:`schema.CACHE_SCHEMA`."""
    cols: dict[str, Any] = {}
    for fld in CACHE_SCHEMA:
        if fld.name in ("cells", "checks"):
            continue
        cols[fld.name] = pa.array([r.get(fld.name) for r in rows], type=fld.type)
    cols["cells"] = _nested([r.get("cells") for r in rows], CELL_STRUCT)
    cols["checks"] = _nested([r.get("checks") for r in rows], CHECK_STRUCT)
    return pa.table(cols, schema=CACHE_SCHEMA)


def _nested(lists: list, struct: pa.StructType) -> pa.Array:
    """A list<struct> column built field by field (no per-cell Arrow conversion). Each row's items are a list of
    dicts, or already columns (a dict of equal-length lists: the cells of :func:`flatten_result`), or None."""
    offsets, mask = [0], []
    fields: dict[str, list] = {f.name: [] for f in struct}
    n = 0
    for items in lists:
        mask.append(items is None)
        if isinstance(items, dict):  # columns: extend each field at once
            for name, values in fields.items():
                values.extend(items[name])
            n += len(items["tbl"])
        else:
            for it in items or ():
                for name, values in fields.items():
                    values.append(it.get(name))
                n += 1
        offsets.append(n)
    children = [pa.array(fields[f.name], type=f.type) for f in struct]
    values = pa.StructArray.from_arrays(children, fields=list(struct))
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values,
                                    mask=pa.array(mask, type=pa.bool_()))


@dataclass
class ChunkResult:
    n_files: int = 0
    n_parsed: int = 0
    n_cache_hits: int = 0
    statuses: Counter = field(default_factory=Counter)


_SKIP: frozenset[str] = frozenset()


def _init_worker(skip_keys: frozenset[str], parser: str | None = None) -> None:
    global _SKIP, _PARSE
    _SKIP = skip_keys
    if parser:
        _PARSE = load_parser(parser)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle


def process_chunk(files: list[FileStat], cache_dir: str, skip_keys: frozenset[str] | None = None,
                  version: str | None = None) -> ChunkResult:
    """Worker body: process files and commit them as one chunk."""
    skip = _SKIP if skip_keys is None else skip_keys
    version = version or parser_version()
    rows = [process_file(f, skip, version, (read_at, res)) for f, read_at, res in read_ahead(files)]
    res = ChunkResult(n_files=len(rows))
    for r in rows:
        if r["parsed"]:
            res.n_parsed += 1
            res.statuses[r["parse_status"]] += 1
        else:
            res.n_cache_hits += 1
    cache.write_chunk(Path(cache_dir), rows_table(rows))
    return res


@dataclass
class IngestStats:
    n_files: int = 0
    n_read: int = 0
    n_parsed: int = 0
    n_cache_hits: int = 0
    n_worker_deaths: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def chunk_size(n: int, jobs: int) -> int:
    """Small enough to spread work and lose little on a crash, large enough to keep chunk files few."""
    return max(8, min(1000, n // (jobs * 8) or 1))


def read_and_parse(plan: Plan, cache_dir: Path, jobs: int = 2,
                   progress: Callable[[int], None] | None = None, parser: str | None = None) -> IngestStats:
    """Process the planned files (in a pool of ``jobs`` workers when there are enough) and commit chunks.

    ``parser`` names another parse function (``module:attribute``) for the workers (tests).
    """
    t0 = time.perf_counter()
    cache.remove_temporaries(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    stats = IngestStats(n_files=len(plan.listing), n_read=len(plan.to_read))
    files = plan.to_read
    size = chunk_size(len(files), jobs)
    chunks = [files[i:i + size] for i in range(0, len(files), size)]

    def done(res: ChunkResult) -> None:
        stats.n_parsed += res.n_parsed
        stats.n_cache_hits += res.n_cache_hits
        for k, v in res.statuses.items():
            stats.statuses[k] = stats.statuses.get(k, 0) + v
        if progress:
            progress(res.n_files)

    version = parser_version()
    if jobs <= 1 or len(files) < POOL_THRESHOLD:
        global _PARSE
        skip, before = frozenset(plan.skip_keys), _PARSE
        if parser:
            _PARSE = load_parser(parser)
        try:
            for ch in chunks:
                done(process_chunk(ch, str(cache_dir), skip, version))
        finally:
            _PARSE = before
    else:
        _run_pool(chunks, str(cache_dir), frozenset(plan.skip_keys), version, jobs, done, stats, parser)
    stats.seconds = time.perf_counter() - t0
    return stats


WORKER_PRELOAD = ["dagster_project.lib.warehouse.ingest", "dagster_project.lib.parsing.api"]


def _forkserver():
    # forkserver: workers start from a clean interpreter (no Dagster threads forked) and import only the parser
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(WORKER_PRELOAD)
    return ctx


def prestart_workers() -> None:
    """Start the parse workers' fork server now, in the background: it imports the parser while the caller loads
    Dagster, and the parse step's pool forks its workers from it ready to run (`gongkai run` calls this once its
    environment is set; the server lives until the process exits)."""
    from multiprocessing import forkserver

    _forkserver()
    forkserver.ensure_running()


def _pool(jobs: int, skip: frozenset[str], parser: str | None) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=jobs, mp_context=_forkserver(), initializer=_init_worker,
                               initargs=(skip, parser))


def _run_pool(chunks: list[list[FileStat]], cache_dir: str, skip: frozenset[str], version: str, jobs: int,
              done: Callable[[ChunkResult], None], stats: IngestStats, parser: str | None = None) -> None:
    """Run the chunks in a pool, with at most ``2 × jobs`` in flight. When a worker dies the pool is broken and
    every chunk in flight fails with it: those (only those) are suspects, re-run one at a time and bisected
    (:func:`_isolate`), so that only a file that kills a worker on its own is lost — recorded as unreadable."""
    todo = deque(chunks)
    while todo:
        pool = _pool(jobs, skip, parser)
        inflight: dict = {}
        suspects: list[list[FileStat]] = []
        try:
            while todo or inflight:
                while todo and len(inflight) < 2 * jobs:
                    ch = todo.popleft()
                    inflight[pool.submit(process_chunk, ch, cache_dir, None, version)] = ch
                finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in finished:
                    ch = inflight.pop(fut)
                    try:
                        done(fut.result())
                    except BrokenProcessPool:
                        suspects.append(ch)
                if suspects:
                    suspects += list(inflight.values())
                    break
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if suspects:
            stats.n_worker_deaths += 1
            _isolate(suspects, cache_dir, skip, version, done, parser)


def _isolate(suspects: list[list[FileStat]], cache_dir: str, skip: frozenset[str], version: str,
             done: Callable[[ChunkResult], None], parser: str | None) -> None:
    """Re-run suspect chunks one at a time in a one-worker pool; a chunk that kills its worker again is halved,
    and a single file that does is recorded as unreadable. Several files in a row that each kill the worker
    alone mean the workers cannot run at all: then the run stops (that is not a file's fault)."""
    queue = deque(suspects)
    lone_deaths = 0
    pool = None
    try:
        while queue:
            ch = queue.popleft()
            pool = pool or _pool(1, skip, parser)
            try:
                done(pool.submit(process_chunk, ch, cache_dir, None, version).result())
                lone_deaths = 0
                continue
            except BrokenProcessPool:
                pool.shutdown(wait=True, cancel_futures=True)
                pool = None
            if len(ch) > 1:
                half = len(ch) // 2
                queue.extendleft([ch[half:], ch[:half]])
                continue
            lone_deaths += 1
            if lone_deaths > MAX_LONE_DEATHS:
                raise RuntimeError("parser worker processes die on every file they are given; the run stops "
                                   "(this is not a file's fault: see the log for the worker's error)")
            _record_worker_death(ch[0], cache_dir, version)
            done(ChunkResult(n_files=1, n_parsed=1, statuses=Counter({"unreadable": 1})))
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _record_worker_death(f: FileStat, cache_dir: str, version: str) -> None:
    """Commit the row of a file that kills the parser process on its own: unreadable, with the reason."""
    data, st, _ = _read(f)
    sha = hashlib.sha256(data if data is not None else f.source_path.encode("utf-8", "replace")).hexdigest()
    fmt = ext_format(f.source_path)
    row = {"read_at_ns": time.time_ns(), "source_path": f.source_path, "size_bytes": f.size_bytes,
           "mtime_ns": f.mtime_ns, "ctime_ns": f.ctime_ns, "inode": f.inode, "parser_version": version,
           "content_sha256": sha, "parse_key": parse_key(sha, fmt), "parsed": True,
           **unreadable_payload(fmt, "internal_error: the parser process died while reading this file")}
    if st is not None:
        row.update(size_bytes=st.st_size, mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns, inode=st.st_ino)
    cache.write_chunk(Path(cache_dir), rows_table([row]))
