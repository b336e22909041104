"""Entry points: one report file → the CONTRACT §3 object. Never raises on bad input."""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path

from .checks import run_checks
from .metadata import find_agency_fallback, find_cited_template, find_publish_date, find_title, find_year
from .readers import Document, ReadError, read_document, sniff_format
from .tables import Compact, locate_t2, locate_t3, locate_t4, solve_t2, solve_t3, solve_t4

__all__ = ["parse_bytes", "parse_file", "parse_document", "iter_files", "parse_many"]

_SKIP_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


def _empty(source_path: str, fmt: str) -> dict:
    return {
        "source_path": source_path, "source_format": fmt, "status": "unreadable", "error": None,
        "agency_name": None, "report_year": None, "template_version": None, "publish_date": None,
        "t2": None, "t3": None, "t4": None, "ambiguous": {}, "suggested_repair": None, "checks": [],
    }


def parse_bytes(data: bytes, name: str, source_path: str | None = None) -> dict:
    """Parse one report file's bytes (``name`` gives the extension); never raises."""
    source_path = source_path if source_path is not None else name
    try:
        fmt = sniff_format(data, name) if data else (name.rsplit(".", 1)[-1].lower() if "." in name else "txt")
    except Exception:  # noqa: BLE001 - sniffing must never crash the caller
        fmt = "unknown"
    out = _empty(source_path, fmt)
    try:
        doc = read_document(data, name)
    except ReadError as exc:
        out["error"] = str(exc)
        return out
    except Exception as exc:  # noqa: BLE001 - a damaged file can trip any library
        out["error"] = f"cannot read the file ({type(exc).__name__}: {exc})"
        return out
    try:
        return parse_document(doc, out)
    except RecursionError:
        out["error"] = "the document is too deeply nested to read"
        return out
    except Exception as exc:  # noqa: BLE001 - report, don't crash: the batch must go on
        out["error"] = f"internal parser error ({type(exc).__name__}: {exc}); {traceback.format_exc(limit=2)[-300:]}"
        return out


def parse_document(doc: Document, out: dict) -> dict:
    """Tables, metadata and checks of a read document."""
    out["source_format"] = doc.fmt
    text = doc.text
    cx = Compact(text)
    agency, year = find_title(doc.lines, doc.meta)
    if agency is None:
        agency = find_agency_fallback(doc.lines)
    if year is None:
        year = find_year(text)
    out["agency_name"] = agency
    out["report_year"] = year
    out["publish_date"] = find_publish_date(doc.lines, doc.meta)
    out["template_cited"] = find_cited_template(text)

    problems: list[dict] = []
    ambiguous: dict = {}
    origin: dict = {}
    blank: list[str] = []

    def take(name: str, solved) -> dict | None:
        """A solved table's values (None when printed blank), its problems, ambiguities and origins."""
        if solved is None:
            blank.append(name)
            return None
        problems.extend(solved.problems)
        ambiguous.update(solved.ambiguous)
        origin.update(solved.origin)
        return solved.values or None

    t3raw = locate_t3(cx)
    t2 = t3 = t4 = None
    t2_version = version = None
    t3_consistent = False
    if t3raw is not None:
        version = t3raw.version
        solved3 = solve_t3(t3raw)
        t3 = take("t3", solved3)
        t3_consistent = solved3 is not None and solved3.consistent
        t4loc = locate_t4(cx, max(t3raw.end, t3raw.start))
        t2loc = locate_t2(cx, t3raw.start)
    else:
        t4loc = locate_t4(cx, 0) if "申请人情况" in cx.c else None
        t2loc = locate_t2(cx, len(cx.c))
    if t4loc is not None:
        t4 = take("t4", solve_t4(t4loc[0], t4loc[1]))
    if t2loc is not None:
        t2_version, rows = t2loc
        t2 = take("t2", solve_t2(t2_version, rows))
    out["template_version"] = version or t2_version
    out["template_detected"] = {"t2": t2_version, "t3": version}
    out["t2"], out["t3"], out["t4"] = t2, t3, t4
    out["ambiguous"] = ambiguous
    out["value_origin"] = origin

    if t3raw is None and t2loc is None and t4loc is None:
        out["status"] = "not_a_report"
        out["error"] = ("no table of the annual-report template found (not a report, a stub page "
                        "pointing to an attachment, or a pre-2019 report)")
        return out

    checks, repair = run_checks(version, t2, t3, t4, text, t2_version=t2_version, t3_consistent=t3_consistent)
    checks = problems + checks
    for name in blank:
        checks.append({"check_id": "X.S9", "severity": "warn", "cells": [], "expected": None, "actual": None,
                       "message": f"X.S9 table {name} is printed without numbers (blank template): stored as absent"})
    out["checks"] = checks
    out["suggested_repair"] = repair if not problems else None
    if doc.ocr_cells is not None:  # a scan: OCR origins, confidences, OCR-guided repair and doubts
        from .ocr import apply_ocr

        apply_ocr(out, doc.ocr_cells, version, t2_version)
    out["status"] = "invariant_errors" if any(c["severity"] == "error" for c in checks) else "ok"
    return out


def parse_file(path: str | os.PathLike, root: str | os.PathLike | None = None) -> dict:
    """Parse one file (read once); ``source_path`` is relative to ``root`` when given."""
    p = Path(path)
    rel = str(p)
    if root is not None:
        rel = _relative(_resolve(p), _resolved_dir(os.path.abspath(root)))
        if rel is None:
            rel = str(p)
    try:
        data = p.read_bytes()
    except OSError as exc:
        out = _empty(rel, p.suffix.lstrip(".").lower() or "unknown")
        out["error"] = f"cannot open the file: {exc.strerror or exc}"
        return out
    return parse_bytes(data, p.name, rel)


@functools.lru_cache(maxsize=256)
def _resolved_dir(abs_dir: str) -> str:
    """``Path.resolve()`` of a folder, cached: a batch parses many files of the same few folders,
    and resolving costs a system call per path component (a folder re-pointed by a symlink
    while the process runs is the one thing this does not see)."""
    return str(Path(abs_dir).resolve())


def _resolve(p: Path) -> str:
    """``str(p.resolve())``: the file's resolved folder plus its name, unless the file is a symlink."""
    if p.name in ("", ".", "..") or os.path.islink(p):
        return str(p.resolve())
    return os.path.join(_resolved_dir(os.path.dirname(os.path.abspath(p))), p.name)


def _relative(path: str, root: str) -> str | None:
    """``str(Path(path).relative_to(root))`` for resolved absolute paths; None when not under root."""
    if path == root:
        return "."
    prefix = root if root.endswith(os.sep) else root + os.sep
    return path[len(prefix):] if path.startswith(prefix) else None


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Files named, and every file under folders named (sorted, hidden files skipped)."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for sub in sorted(p.rglob("*")):
                if sub.is_file() and not any(part.startswith(".") for part in sub.relative_to(p).parts) \
                        and sub.name not in _SKIP_NAMES:
                    yield sub
        else:
            yield p


def _parse_job(args: tuple[str, str | None]) -> dict:
    path, root = args
    return parse_file(path, root)


def parse_many(files: list[Path], root: str | os.PathLike | None = None, jobs: int = 1) -> Iterator[dict]:
    """Parse files in order, in ``jobs`` worker processes when > 1."""
    root_s = str(root) if root is not None else None
    if jobs <= 1 or len(files) < 8:
        for f in files:
            yield parse_file(f, root_s)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_parse_job, [(str(f), root_s) for f in files], chunksize=32)
