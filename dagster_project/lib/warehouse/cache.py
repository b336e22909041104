"""The parse cache: chunk files of parse results, committed as they come (``<warehouse>/parse_cache/``).

Each chunk is one parquet file (schema :data:`schema.CACHE`: one row per file read, with the parse payload when
that content was parsed in that read), written to a temporary name and renamed into place: the rename is the
commit. A ``kill -9`` at any moment loses at most the chunks being written; the next run finds every committed
chunk and reads again only the files no committed chunk covers.

What a run needs from the cache:

* :func:`load_state` — per source_path the latest read (signature, sha256, parse_key) and the parse keys that have
  a payload from the current parser version (so they are not parsed again);
* :func:`iter_payloads` — the payload rows of given parse keys, chunk by chunk (the record builder streams them);
* :func:`compact` — rewrite the cache keeping only what the current listing references, when it has grown
  (many small chunks, or many rows no file refers to any more: removed files, older parser versions).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dagster_project.lib.warehouse.schema import CACHE_SCHEMA, CACHE_STATE_COLUMNS

SUFFIX = ".parquet"
COMPACT_MIN_FILES = 256  # more chunk files than this (a national year is ~150; each later run adds a few) …
COMPACT_GARBAGE_SHARE = 0.3  # … or this share of rows referenced by no listed file: compact


def write_chunk(cache_dir: Path, table: pa.Table) -> Path:
    """Commit one chunk atomically (temporary name, fsync, rename)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    name = f"chunk-{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
    tmp = cache_dir / f".tmp-{name}"
    pq.write_table(table, tmp, compression="zstd")
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    final = cache_dir / name
    os.rename(tmp, final)
    return final


def chunk_files(cache_dir: Path) -> list[Path]:
    """Committed chunks, oldest first (temporary files of interrupted writes are ignored)."""
    if not cache_dir.is_dir():
        return []
    return sorted(p for p in cache_dir.iterdir() if p.name.startswith("chunk-") and p.name.endswith(SUFFIX))


def remove_temporaries(cache_dir: Path) -> int:
    """Delete half-written chunks left by an interrupted run."""
    n = 0
    if cache_dir.is_dir():
        for p in cache_dir.iterdir():
            if p.name.startswith(".tmp-"):
                p.unlink(missing_ok=True)
                n += 1
    return n


@dataclass
class Read:
    """The latest read of one source_path."""

    signature: tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
    content_sha256: str
    parse_key: str
    read_at_ns: int = 0


@dataclass
class State:
    reads: dict[str, Read] = field(default_factory=dict)
    parsed_keys: set[str] = field(default_factory=set)  # payloads of the current parser version
    n_rows: int = 0
    n_files: int = 0


def _read_columns(path: Path, columns: list[str]) -> pa.Table | None:
    try:
        return pq.read_table(path, columns=columns)
    except Exception:  # noqa: BLE001 - a chunk damaged on disk is ignored: its files are simply read again
        return None


def load_state(cache_dir: Path, parser_version: str) -> State:
    """What the committed chunks know (reads and parsed contents), without loading any payload."""
    state = State()
    for path in chunk_files(cache_dir):
        t = _read_columns(path, list(CACHE_STATE_COLUMNS))
        if t is None:
            continue
        state.n_files += 1
        state.n_rows += t.num_rows
        cols = {c: t.column(c).to_pylist() for c in CACHE_STATE_COLUMNS}
        for i in range(t.num_rows):
            sp = cols["source_path"][i]
            if sp is not None:
                prev = state.reads.get(sp)
                if prev is None or cols["read_at_ns"][i] >= prev.read_at_ns:  # the latest read of a path wins
                    sig = (cols["size_bytes"][i], cols["mtime_ns"][i], cols["ctime_ns"][i], cols["inode"][i])
                    state.reads[sp] = Read(sig, cols["content_sha256"][i], cols["parse_key"][i],
                                           cols["read_at_ns"][i])
            if cols["parsed"][i] and cols["parser_version"][i] == parser_version:
                state.parsed_keys.add(cols["parse_key"][i])
    return state


def iter_payloads(cache_dir: Path, keys: set[str], columns: list[str] | None = None,
                  parser_version: str | None = None) -> Iterator[pa.Table]:
    """Payload rows (one per parse key, first commit wins) of the given keys, one table per chunk file. The next
    chunk file is read by a thread while the caller works on the current one (Parquet decoding releases the GIL)."""
    if not keys:
        return
    from concurrent.futures import ThreadPoolExecutor

    seen: set[str] = set()
    cols = None if columns is None else list(dict.fromkeys(["parse_key", "parsed", "parser_version", *columns]))
    paths = chunk_files(cache_dir)

    def read(path: Path) -> pa.Table | None:
        """The chunk's payload, read only when it holds a wanted key at all (``keys`` never changes)."""
        head = _read_columns(path, ["parse_key"])
        if head is None or not any(k in keys for k in head.column("parse_key").to_pylist()):
            return None
        return _read_columns(path, cols)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cache-read") as ex:
        nxt = ex.submit(read, paths[0]) if paths else None
        for i in range(len(paths)):
            t = nxt.result()
            nxt = ex.submit(read, paths[i + 1]) if i + 1 < len(paths) else None
            if t is None:
                continue  # no wanted key, or a damaged chunk (its files are read again)
            # the rows wanted, first commit of a key wins (a Python set: building Arrow's is_in value set from
            # every key for every chunk file would cost more than the lookups)
            keep = []
            for j, (k, parsed, v) in enumerate(zip(t.column("parse_key").to_pylist(), t.column("parsed").to_pylist(),
                                                    t.column("parser_version").to_pylist())):
                if parsed and k in keys and k not in seen and (parser_version is None or v == parser_version):
                    seen.add(k)
                    keep.append(j)
            if not keep:
                continue
            if len(keep) != t.num_rows:
                t = t.take(pa.array(keep, type=pa.int64()))
            yield t
            if len(seen) == len(keys):
                if nxt is not None:
                    nxt.cancel()
                return


def needs_compaction(state: State, referenced_rows: int) -> bool:
    if state.n_files > COMPACT_MIN_FILES:
        return True
    return state.n_rows > 0 and (state.n_rows - referenced_rows) / state.n_rows > COMPACT_GARBAGE_SHARE


def compact(cache_dir: Path, listing_reads: dict[str, int], keys: set[str], parser_version: str,
            rows_per_file: int = 20_000) -> int:
    """Rewrite the cache with only the latest read of each listed path and the current payload of each key.

    ``listing_reads`` maps each listed source_path to the ``read_at_ns`` of its latest read. New files are committed
    before the old ones are removed, so an interruption leaves a cache that is still complete (with rows twice,
    which the readers tolerate). Returns the number of rows kept.
    """
    old = chunk_files(cache_dir)
    payload_done: set[str] = set()
    read_done: set[str] = set()
    out: list[pa.Table] = []
    buffered = 0
    kept = 0
    for path in old:
        try:
            t = pq.read_table(path)
        except Exception:  # noqa: BLE001
            continue
        sp, pk = t.column("source_path").to_pylist(), t.column("parse_key").to_pylist()
        parsed, pv = t.column("parsed").to_pylist(), t.column("parser_version").to_pylist()
        at = t.column("read_at_ns").to_pylist()
        keep, strip = [], []
        for i in range(t.num_rows):
            is_read = sp[i] not in read_done and listing_reads.get(sp[i]) == at[i]
            has_payload = bool(parsed[i]) and pv[i] == parser_version and pk[i] in keys and pk[i] not in payload_done
            if is_read:
                read_done.add(sp[i])
            if has_payload:
                payload_done.add(pk[i])
            if is_read or has_payload:
                keep.append(i)
                strip.append(not has_payload)
        if not keep:
            continue
        sub = t.take(pa.array(keep, type=pa.int64()))
        if any(strip):
            sub = _strip_payloads(sub, strip)
        out.append(sub)
        buffered += sub.num_rows
        if buffered >= rows_per_file:
            kept += _flush(cache_dir, out)
            out, buffered = [], 0
    if out:
        kept += _flush(cache_dir, out)
    for path in old:
        path.unlink(missing_ok=True)
    return kept


def _strip_payloads(t: pa.Table, strip: list[bool]) -> pa.Table:
    """Keep the read columns of rows whose payload is not needed, drop their payload (parsed = False)."""
    mask = pa.array(strip)
    parsed = pc.if_else(mask, False, t.column("parsed"))
    t = t.set_column(t.schema.get_field_index("parsed"), "parsed", parsed)
    for f in CACHE_SCHEMA:
        if f.name in CACHE_STATE_COLUMNS:
            continue
        i = t.schema.get_field_index(f.name)
        t = t.set_column(i, f.name, pc.if_else(mask, pa.scalar(None, type=f.type), t.column(i)))
    return t


def _flush(cache_dir: Path, parts: list[pa.Table]) -> int:
    t = pa.concat_tables(parts).cast(CACHE_SCHEMA)
    write_chunk(cache_dir, t)
    return t.num_rows
