"""After parsing, before classification: audited corrections and cross-report checks (issue 4).

Runs on **every** ``gongkai run`` over the parse rows of the current landing listing (``raw.*``), so the
incremental parse cache never gets in the way: a parse is cached, what is done with it is not. Adding a
correction, removing it, or a new neighbouring year takes effect on the next run without re-parsing.

Steps (:func:`adjust`, pure; :func:`load_reports` / :func:`write_tables` move data to and from DuckDB):

1. **Corrections** (``lib/corrections.py``): the entries of the corrections file are applied to the reports
   they point at. A corrected report's table checks are re-run; its post-correction checks replace the
   parser's (``check_origin = 'recheck'``) and decide its status. Each applied entry adds a warn row
   ``CORRECTION.applied`` (cells: the cell; expected: the corrected value; actual: the value as printed);
   each entry that no longer matches adds ``CORRECTION.stale`` (warn) on the report it points at, and every
   entry, applied or stale, is a row of the ``corrections`` mart (an entry that matches no report only there).
2. **Cross-report checks** (``lib/crossyear.py``) over the (corrected) reports of agencies with more than one
   report: X.S1, T2.S2, T2.S3, X.S8, X.S10, all ``severity = 'warn'`` (``check_origin = 'cross_report'``).
   They never quarantine. The canonical report of an agency-year is chosen by the same rule as dbt's
   ``int_reports_classified`` (see :func:`mark_canonical`).
3. **Resolutions**: parts the parser left ambiguous that a neighbouring year (or a duplicate copy) settles
   get the settled reading: ``value_origin = 'resolved'`` with ``origin_note`` = how (e.g.
   ``T2.S2 with 2022 report 3f2a…``), and the report's ``n_ambiguous`` goes down.

Output tables (``raw.*``, read by dbt): ``report_adjustments`` (one row per report whose status, counts or
ambiguity changed), ``cell_adjustments`` (one row per changed/settled cell: value, value_as_printed,
value_origin, origin_note), ``derived_checks`` (check rows that are not the parser's) and ``corrections``.

``report_id`` is computed exactly as dbt's ``int_reports_classified`` does (first 16 hex digits of the
content sha256; a second file with the same bytes gets ``-<8 hex of sha256(source_path)>``); the dbt test
``assert_adjustments_match_reports`` holds the two together.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from dagster_project.lib import corrections as C
from dagster_project.lib.warehouse.ingest import _num, repair_text

ORIGIN_MANUAL = "manual"
ORIGIN_RESOLVED = "resolved"
PARSED = ("ok", "invariant_errors")
FORMAT_RANK = {"html": 0, "docx": 1, "pdf": 2, "txt": 3}  # as in int_reports_classified
CHECK_ORIGINS = ("parse", "recheck", "correction", "cross_report")

LISTING_SQL = """
with files as (
    select
        f.source_path,
        f.content_sha256,
        f.parse_key,
        coalesce(p.parsed_format, f.source_format) as source_format,
        coalesce(p.parse_status, 'unreadable') as parse_status,
        p.agency_name,
        p.report_year,
        p.template_version,
        p.publish_date,
        coalesce(p.n_errors, 0) as n_errors,
        coalesce(p.n_warnings, 0) as n_warnings,
        p.ambiguous_json,
        p.suggested_repair_json,
        coalesce(p.has_t2, false) as has_t2,
        coalesce(p.has_t3, false) as has_t3,
        coalesce(p.has_t4, false) as has_t4,
        {agency_id} as agency_id,
        row_number() over (partition by f.content_sha256 order by f.source_path) as content_copy
    from raw.landing_files as f
    left join raw.parsed_reports as p on p.parse_key = f.parse_key
    {agency_join}
)
select
    *,
    case
        when content_copy = 1 then left(content_sha256, 16)
        else left(content_sha256, 16) || '-' || left(sha256(source_path), 8)
    end as report_id
from files
order by source_path
"""

_DECIMAL_MEASURES = frozenset(("fee_amount_10k_cny", "procurement_amount_cny"))


# ---------------------------------------------------------------- loading


def _table_exists(con, schema: str, name: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and "
                            "table_name = ?", [schema, name]).fetchone()[0])


def _t2_value(cell: str, v: float | None):
    if v is None:
        return None
    if cell.rpartition("__")[2] in _DECIMAL_MEASURES or not float(v).is_integer():
        return float(v)
    return int(v)


def t2_version_of(t2: dict | None) -> str | None:
    """Which template table 二 follows, from its cell codes (the parse rows do not keep ``template_detected``)."""
    if not t2:
        return None
    measures = {k.rpartition("__")[2] for k in t2}
    if measures & {"issued", "repealed", "in_force"}:
        return "gov2021"
    if measures & {"newly_made", "newly_published", "published_total", "items_prev_year", "items_change"}:
        return "gov2019"
    return None


def load_reports(con, corrections: list[dict] | None = None) -> list[dict]:
    """Every file of the current listing as a report dict, with its tables loaded when they can matter.

    Tables (``t2``/``t3``/``t4``, ``ambiguous``) are loaded for the parsed reports of agencies with more than one
    report (cross-report checks need a neighbour), and for every report a correction points at (their parse
    checks too, for the re-check). The others carry ``loaded = False``.
    """
    corrections = corrections or []
    if _table_exists(con, "raw", "agency_names"):
        sql = LISTING_SQL.format(agency_id="n.agency_id",
                                 agency_join="left join raw.agency_names as n on n.agency_name = p.agency_name")
    else:
        sql = LISTING_SQL.format(agency_id="cast(null as varchar)", agency_join="")
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    reports = [dict(zip(cols, row)) for row in cur.fetchall()]
    missing = [r for r in reports if r["agency_name"] and not r["agency_id"]]
    if missing:  # raw.agency_names absent (tests) or stale: the same function computes it
        from dagster_project.lib.agency import agency_id_for, normalize_name

        for r in missing:
            if normalize_name(r["agency_name"]):
                r["agency_id"] = agency_id_for(r["agency_name"])
    for r in reports:
        r["status"] = r["parse_status"]
        r["publish_date"] = str(r["publish_date"]) if r["publish_date"] else None
        r["loaded"] = False

    per_agency = Counter(r["agency_id"] for r in reports if _usable(r))
    targeted = {r["report_id"] for r in reports if any(C.concerns(c, r) for c in corrections)}
    load = [r for r in reports if r["report_id"] in targeted or (_usable(r) and per_agency[r["agency_id"]] > 1)]
    if not load:
        return reports
    by_key: dict[str, list[dict]] = defaultdict(list)
    for r in load:
        by_key[r["parse_key"]].append(r)
        r["loaded"] = True
        r["ambiguous"] = json.loads(r["ambiguous_json"]) if r["ambiguous_json"] else {}
        r["suggested_repair"] = json.loads(r["suggested_repair_json"]) if r["suggested_repair_json"] else None
        for t in ("t2", "t3", "t4"):
            r[t] = {} if r[f"has_{t}"] else None
        r["checks"] = []
    keys = pa.table({"parse_key": pa.array(sorted(k for k in by_key if k), type=pa.string())})
    con.register("_adjust_keys", keys)
    try:
        for tbl, k1, k2 in (("t3", "row_code", "col_code"), ("t4", "proceeding", "result"), ("t2", "item", "measure")):
            # one row per report with its cells as two lists: Arrow converts them in bulk (≈4× faster than rows)
            part = con.sql(f"select parse_key, list({k1} || '__' || {k2}) as cells, list(value) as vals "
                           f"from raw.{tbl}_cells join _adjust_keys using (parse_key) group by parse_key"
                           ).to_arrow_table()
            for key, cells, vals in zip(part.column("parse_key").to_pylist(), part.column("cells").to_pylist(),
                                        part.column("vals").to_pylist()):
                values = ({c: _t2_value(c, v) for c, v in zip(cells, vals)} if tbl == "t2"
                          else dict(zip(cells, vals)))
                for r in by_key[key]:
                    r[tbl] = dict(values) if len(by_key[key]) > 1 else values
        target_keys = [r["parse_key"] for r in load if r["report_id"] in targeted and r["parse_key"]]
        if target_keys:
            rows = con.execute(
                "select parse_key, check_id, severity, cells, expected, actual, message from raw.checks "
                "where parse_key in (select unnest(?)) order by parse_key, check_seq", [target_keys]).fetchall()
            for key, cid, sev, cl, exp, act, msg in rows:
                for r in by_key[key]:
                    r["checks"].append({"check_id": cid, "severity": sev, "cells": list(cl or []), "expected": exp,
                                        "actual": act, "message": msg})
    finally:
        con.unregister("_adjust_keys")
    for r in load:
        r["template_detected"] = {"t3": r["template_version"] if r["t3"] is not None else None,
                                  "t2": t2_version_of(r["t2"]) or r["template_version"]}
    return reports


def _usable(r: dict) -> bool:
    """A parsed report that can take part in cross-report checks (identical second copies cannot)."""
    return (r.get("parse_status") in PARSED and r.get("content_copy", 1) == 1 and r.get("report_year") is not None
            and bool(r.get("agency_id")))


# ---------------------------------------------------------------- the canonical copy (mirror of dbt)


def _date(value) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def canonical_sort_key(r: dict):
    """The order of ``int_reports_classified.agency_year_ranked``: clean parse first, latest publish_date
    (nulls last), html > docx > pdf > txt, then source_path."""
    d = _date(r.get("publish_date"))
    return (
        0 if r.get("status") == "ok" and not r.get("n_errors") else 1,
        0 if d else 1,
        -d.toordinal() if d else 0,
        FORMAT_RANK.get(r.get("source_format") or "", 4),
        r.get("source_path") or "",
    )


def mark_canonical(reports: list[dict]) -> None:
    """Set ``is_canonical`` on the usable reports: one per (agency_id, report_year), as dbt will choose it."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in reports:
        r["is_canonical"] = False
        if _usable(r):
            groups[(r["agency_id"], int(r["report_year"]))].append(r)
    for members in groups.values():
        min(members, key=canonical_sort_key)["is_canonical"] = True


# ---------------------------------------------------------------- the adjustments


@dataclass
class Adjusted:
    """What :func:`adjust` produces: rows of the four ``raw`` tables and a summary."""

    report_adjustments: list[dict] = field(default_factory=list)
    cell_adjustments: list[dict] = field(default_factory=list)
    derived_checks: list[dict] = field(default_factory=list)
    corrections: list[dict] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pa.Table]:
        return {name: _arrow(getattr(self, name), schema) for name, schema in SCHEMAS.items()}


SCHEMAS: dict[str, pa.Schema] = {
    "report_adjustments": pa.schema([
        ("report_id", pa.string()), ("parse_key", pa.string()), ("source_path", pa.string()),
        ("parse_status", pa.string()), ("n_errors", pa.int32()), ("n_warnings", pa.int32()),
        ("n_ambiguous", pa.int32()), ("ambiguous_json", pa.string()), ("suggested_repair", pa.string()),
        ("suggested_repair_json", pa.string()), ("rechecked", pa.bool_()), ("n_corrected_cells", pa.int32()),
        ("n_resolved_parts", pa.int32())]),
    "cell_adjustments": pa.schema([
        ("report_id", pa.string()), ("parse_key", pa.string()), ("tbl", pa.string()), ("cell", pa.string()),
        ("value", pa.float64()), ("value_as_printed", pa.float64()), ("value_origin", pa.string()),
        ("origin_note", pa.string())]),
    "derived_checks": pa.schema([
        ("report_id", pa.string()), ("check_origin", pa.string()), ("origin_seq", pa.int32()),
        ("check_id", pa.string()), ("severity", pa.string()), ("cells", pa.list_(pa.string())),
        ("expected", pa.float64()), ("actual", pa.float64()), ("message", pa.string())]),
    "corrections": pa.schema([
        ("entry_no", pa.int32()), ("report_id", pa.string()), ("source_path", pa.string()),
        ("report_year", pa.int32()), ("agency_name", pa.string()), ("tbl", pa.string()), ("cell", pa.string()),
        ("value", pa.float64()), ("original", pa.float64()), ("value_as_printed", pa.float64()),
        ("status", pa.string()), ("stale_reason", pa.string()), ("reason", pa.string()), ("who", pa.string()),
        ("corrected_on", pa.string()), ("report", pa.string()), ("errors_before", pa.list_(pa.string())),
        ("errors_after", pa.list_(pa.string())), ("corrections_file", pa.string())]),
}


def _arrow(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema)


def _errors(checks: list[dict]) -> list[str]:
    return sorted({str(c["check_id"]) for c in checks if c.get("severity") == "error"})


def _check_row(report_id: str, origin: str, seq: int, c: dict) -> dict:
    cells = c.get("cells") or []
    if isinstance(cells, str):
        cells = [cells]
    return {"report_id": report_id, "check_origin": origin, "origin_seq": seq, "check_id": str(c["check_id"]),
            "severity": str(c["severity"]), "cells": [str(x) for x in cells], "expected": _num(c.get("expected")),
            "actual": _num(c.get("actual")), "message": c.get("message")}


def adjust(reports: list[dict], corrections: list[dict], corrections_file: str | None = None) -> Adjusted:
    """Corrections, cross-report checks and resolutions over the report dicts of :func:`load_reports` (or any
    dicts with ``report_id, source_path, parse_key, agency_id, agency_name, report_year, template_version,
    publish_date, source_format, status, n_errors, n_warnings, content_copy, loaded`` and, when loaded, ``t2, t3,
    t4, ambiguous, checks, suggested_repair, template_detected``). See the module docstring."""
    out = Adjusted()
    reports = [dict(r) for r in reports]  # flags are set on these copies; the tables are never changed in place
    by_id = {r["report_id"]: r for r in reports}
    loaded = [r for r in reports if r.get("loaded")]
    touched: dict[str, dict] = {}  # report_id -> report_adjustments row under construction

    def touch(r: dict) -> dict:
        if r["report_id"] not in touched:
            touched[r["report_id"]] = {"report": r, "rechecked": False, "corrected": 0, "resolved": 0,
                                       "extra_warn": 0, "checks": None}
        return touched[r["report_id"]]

    # 1. corrections ------------------------------------------------------------------------------
    current: dict[str, dict] = {r["report_id"]: r for r in loaded}
    targeted = [r for r in loaded if any(C.concerns(c, r) for c in corrections)]
    fixed, applied, stale = C.apply_corrections_all(targeted, corrections) if corrections else ([], [], [])
    fixed_by_id = {r["report_id"]: r for r in fixed}
    seq: Counter = Counter()
    applied_by_report: dict[str, list[dict]] = defaultdict(list)
    for a in applied:
        applied_by_report[a["report_id"]].append(a)
    for rid, entries in applied_by_report.items():
        before, after = current[rid], fixed_by_id[rid]
        after["n_errors"] = sum(1 for c in after["checks"] if c.get("severity") == "error")
        current[rid] = after
        t = touch(after)
        t["rechecked"] = True
        t["checks"] = after["checks"]
        for c in after["checks"]:
            seq[rid] += 1
            out.derived_checks.append(_check_row(rid, "recheck", seq[rid], c))
        errors_before, errors_after = _errors(before["checks"]), _errors(after["checks"])
        for e in entries:
            printed = after["original_values"][e["cell"]]
            t["corrected"] += 1
            note = f"manual correction #{e['n']} by {e['who']} on {e['when']}: {e['reason']}"
            out.cell_adjustments.append({"report_id": rid, "parse_key": after.get("parse_key"), "tbl": e["table"],
                                         "cell": e["cell"], "value": _num(e["value"]),
                                         "value_as_printed": _num(printed), "value_origin": ORIGIN_MANUAL,
                                         "origin_note": note})
            outcome = ("the report now passes every hard check" if not errors_after
                       else f"still failing: {', '.join(errors_after)}")
            seq[rid] += 1
            out.derived_checks.append(_check_row(rid, "correction", seq[rid], {
                "check_id": "CORRECTION.applied", "severity": "warn", "cells": [e["cell"]], "expected": e["value"],
                "actual": printed,
                "message": (f"{e['cell']}: printed {printed}, corrected to {e['value']} ({note}). Failed before: "
                            f"{', '.join(errors_before) or 'none'}; {outcome}")}))
            t["extra_warn"] += 1
            out.corrections.append(_correction_row(e, after, "applied", None, printed, errors_before, errors_after,
                                                   corrections_file))
    for s in stale:
        rep = by_id.get(s["report_id"]) if s.get("report_id") else None
        rep_now = current.get(s["report_id"]) if rep is not None else None
        table = (rep_now or {}).get(s["table"]) or {}
        printed = table.get(s["cell"])
        errs = _errors((rep_now or {}).get("checks") or [])
        out.corrections.append(_correction_row(s, rep or {"source_path": s.get("source_path")}, "stale",
                                               s["stale_reason"], printed, errs, errs, corrections_file))
        if rep is None:
            continue
        t = touch(rep_now or rep)
        seq[rep["report_id"]] += 1
        out.derived_checks.append(_check_row(rep["report_id"], "correction", seq[rep["report_id"]], {
            "check_id": "CORRECTION.stale", "severity": "warn", "cells": [s["cell"]], "expected": s["original"],
            "actual": printed,
            "message": (f"correction #{s['n']} ({s['cell']} = {s['value']}, by {s['who']} on {s['when']}) was NOT "
                        f"applied: {s['stale_reason']}")}))
        t["extra_warn"] += 1

    # 2. cross-report checks and resolutions ------------------------------------------------------
    panel = [current[r["report_id"]] for r in loaded if _usable(current[r["report_id"]])]
    for r in panel:
        r.setdefault("n_errors", 0)
    mark_canonical(panel)
    rows, resolutions = [], []
    if panel:
        from dagster_project.lib.crossyear import cross_report_checks

        rows, resolutions = cross_report_checks(panel)
    for row in rows:
        rid = row["report_id"]
        seq[rid] += 1
        out.derived_checks.append(_check_row(rid, "cross_report", seq[rid], row))
        touch(current[rid])["extra_warn"] += 1 if row["severity"] == "warn" else 0
    for res in resolutions:
        rep = current[res["report_id"]]
        t = touch(rep)
        t["resolved"] += 1
        table = res["part"].partition(".")[0]
        manual = {a["cell"] for a in applied_by_report.get(rep["report_id"], [])}
        how = res["resolved_by"]
        if res["changed"]:
            how += (f" (reading {res['candidate_index'] + 1} of {res['n_candidates']}; the parser preferred "
                    + ", ".join(f"{k} = {v}" for k, v in res["preferred"].items()) + ")")
        else:
            how += f" (the parser's preferred reading, 1 of {res['n_candidates']})"
        vals = rep.get(table) or {}
        for cell, v in res["values"].items():
            if cell in manual:
                continue
            out.cell_adjustments.append({"report_id": rep["report_id"], "parse_key": rep.get("parse_key"),
                                         "tbl": table, "cell": cell, "value": _num(v),
                                         "value_as_printed": _num(vals.get(cell)), "value_origin": ORIGIN_RESOLVED,
                                         "origin_note": how})
        rep.setdefault("resolved_parts", set()).add(res["part"])

    # 3. one row per touched report ---------------------------------------------------------------
    for rid, t in touched.items():
        r = t["report"]
        r = current.get(rid, r)
        checks = t["checks"]
        ambiguous = {k: v for k, v in (r.get("ambiguous") or {}).items() if k not in r.get("resolved_parts", set())}
        if checks is not None:
            n_err = sum(1 for c in checks if c.get("severity") == "error")
            n_warn = sum(1 for c in checks if c.get("severity") == "warn")
            status = r.get("status")
            repair = r.get("suggested_repair")
        else:
            n_err, n_warn, status = int(r.get("n_errors") or 0), int(r.get("n_warnings") or 0), r.get("status")
            repair = r.get("suggested_repair") if r.get("loaded") else (
                json.loads(r["suggested_repair_json"]) if r.get("suggested_repair_json") else None)
        if not r.get("loaded"):
            ambiguous = json.loads(r["ambiguous_json"]) if r.get("ambiguous_json") else {}
        out.report_adjustments.append({
            "report_id": rid, "parse_key": r.get("parse_key"), "source_path": r.get("source_path"),
            "parse_status": status, "n_errors": n_err, "n_warnings": n_warn + t["extra_warn"],
            "n_ambiguous": len(ambiguous),
            "ambiguous_json": json.dumps(ambiguous, ensure_ascii=False) if ambiguous else None,
            "suggested_repair": repair_text(repair),
            "suggested_repair_json": json.dumps(repair, ensure_ascii=False) if repair else None,
            "rechecked": t["rechecked"], "n_corrected_cells": t["corrected"], "n_resolved_parts": t["resolved"]})

    out.summary = {
        "n_reports": len(reports),
        "n_loaded": len(loaded),
        "n_corrections": len(corrections),
        "n_applied": len(applied),
        "n_stale": len(stale),
        "stale": [f"#{s['n']} {s.get('source_path') or s.get('report')}: {s['cell']} — {s['stale_reason']}"
                  for s in stale],
        "corrected_reports": sorted(applied_by_report),
        "cross_report_warnings": dict(sorted(Counter(r["check_id"] for r in rows).items())),
        "n_resolved_parts": len(resolutions),
    }
    return out


def _correction_row(e: dict, rep: dict, status: str, why: str | None, printed, before: list[str],
                    after: list[str], corrections_file: str | None) -> dict:
    return {
        "entry_no": e["n"], "report_id": rep.get("report_id") or e.get("report_id"),
        "source_path": rep.get("source_path") or e.get("source_path"),
        "report_year": rep.get("report_year"), "agency_name": rep.get("agency_name"), "tbl": e["table"],
        "cell": e["cell"], "value": _num(e["value"]), "original": _num(e["original"]),
        "value_as_printed": _num(printed), "status": status, "stale_reason": why, "reason": e["reason"],
        "who": e["who"], "corrected_on": e["when"], "report": e.get("report"), "errors_before": before,
        "errors_after": after, "corrections_file": corrections_file,
    }


# ---------------------------------------------------------------- DuckDB


def write_tables(con, adjusted: Adjusted) -> dict[str, int]:
    """Replace ``raw.report_adjustments``, ``raw.cell_adjustments``, ``raw.derived_checks`` and
    ``raw.corrections`` in one transaction (always with their schema, also when empty)."""
    con.execute("create schema if not exists raw")
    tables = adjusted.tables()
    con.execute("begin transaction")
    try:
        for name, tbl in tables.items():
            con.register("_adjusted", tbl)
            con.execute(f"create or replace table raw.{name} as select * from _adjusted")
            con.unregister("_adjusted")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return {name: t.num_rows for name, t in tables.items()}


def run(con, corrections: list[dict], corrections_file: str | None = None) -> Adjusted:
    """Load, adjust and write back: what the Dagster asset does."""
    adjusted = adjust(load_reports(con, corrections), corrections, corrections_file)
    write_tables(con, adjusted)
    return adjusted
