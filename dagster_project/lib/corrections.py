"""Audited manual corrections (issue 4): ``data/corrections.yaml``.

An analyst who has confirmed that a report misprints a cell (the Anshan 2023 sample prints 0 where 7 belongs in
``unavailable_not_held__org_business``) records a correction instead of editing data. The file is a YAML list;
each entry:

=============  ============================================================================================
key            meaning
=============  ============================================================================================
report         the report's ``report_id`` or a prefix of it (≥ 6 characters; the id is a content hash, so a
               changed file no longer matches)
source_path    the report's ``source_path`` (relative to the landing folder). ``report`` and/or
               ``source_path`` are required; with both, ``report`` decides and a path whose content changed
               makes the correction stale
cell           the cell code, e.g. ``unavailable_not_held__org_business`` (domain §7)
table          optional: ``t2`` / ``t3`` / ``t4``; inferred from the cell code when omitted
value          the corrected value
original       the value as the report states it. If the parsed report no longer says this, the
               correction is **stale** and is not applied
reason         why (free text, required)
who            who confirmed it (required)
when           date of the correction (required)
=============  ============================================================================================

:func:`apply_corrections` applies the entries that match one parsed report, keeps the original values, marks
those cells ``value_origin = "manual"`` and re-runs the in-report checks on the corrected tables. Entries that
match the report but cannot be applied (cell missing, original differs, content changed) come back as *stale*
with a reason; :func:`apply_corrections_all` also reports entries that match no report at all.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path, PurePosixPath
from typing import Callable

import yaml

from dagster_project.lib.parsing.template import C7, SUBTOTALS, T2_BLOCKS, T3_ROWS, T4_KEYS, VALUE_BOUND, cell_kind

REQUIRED = ("cell", "value", "original", "reason", "who", "when")
MIN_REPORT_PREFIX = 6

_T3_CELLS = {f"{r.code}__{c}" for rows in T3_ROWS.values() for r in rows for c in C7} | {
    f"{sub}__{c}" for subs in SUBTOTALS.values() for sub in subs for c in C7
}
_T4_CELLS = set(T4_KEYS)
_T2_CELLS = {f"{i.code}__{m.code}" for blocks in T2_BLOCKS.values() for b in blocks for i in b.items for m in b.measures}


class CorrectionsError(ValueError):
    """The corrections file is malformed."""


def check_value(cell: str, table: str, value, what: str) -> str | None:
    """Why ``value`` cannot be a value of this cell (None when it can): counts are whole numbers ≥ 0, the gov2019
    本年增/减 a whole number of either sign, amounts (万元, 元) decimals ≥ 0; all within the plausibility bounds
    under which cells are stored. Strings, booleans, lists, NaN and infinities are not values."""
    import math

    kind = cell_kind(table, cell)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{what} must be a number, got {value!r}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{what} must be a finite number, got {value!r}"
    bound = VALUE_BOUND[kind]
    if kind in ("count", "signed") and value != int(value):
        return f"{what} of {cell} must be a whole number, got {value!r}"
    if kind != "signed" and value < 0:
        return f"{what} of {cell} cannot be negative, got {value!r}"
    if abs(value) > bound:
        return f"{what} of {cell} is beyond the plausibility bound {bound:,.0f}: {value!r}"
    return None


def table_of(cell: str) -> str | None:
    """``t2`` / ``t3`` / ``t4`` for a cell code, None when the code is unknown."""
    if cell in _T3_CELLS:
        return "t3"
    if cell in _T4_CELLS:
        return "t4"
    if cell in _T2_CELLS:
        return "t2"
    return None


def _validate(entries: list, source: str) -> list[dict]:
    out = []
    for n, e in enumerate(entries, start=1):
        where = f"{source}: correction #{n}"
        if not isinstance(e, dict):
            raise CorrectionsError(f"{where}: expected a mapping, got {type(e).__name__}")
        missing = [k for k in REQUIRED if k not in e or e[k] is None and k != "original"]
        if missing:
            raise CorrectionsError(f"{where}: missing {', '.join(missing)}")
        if not e.get("report") and not e.get("source_path"):
            raise CorrectionsError(f"{where}: needs report (report_id prefix) and/or source_path")
        if e.get("report") and len(str(e["report"])) < MIN_REPORT_PREFIX:
            raise CorrectionsError(f"{where}: report id prefix shorter than {MIN_REPORT_PREFIX} characters")
        table = e.get("table") or table_of(e["cell"])
        if table not in ("t2", "t3", "t4"):
            raise CorrectionsError(f"{where}: unknown cell {e['cell']!r} (give table: t2/t3/t4 if it is right)")
        if e.get("table") and table_of(e["cell"]) not in (None, e["table"]):
            raise CorrectionsError(f"{where}: cell {e['cell']!r} belongs to {table_of(e['cell'])}, not {e['table']}")
        for key in ("value", "original"):
            if key == "original" and e["original"] is None:  # the report prints the cell blank
                continue
            why = check_value(str(e["cell"]), table, e[key], key)
            if why:
                raise CorrectionsError(f"{where}: {why}")
        when = e["when"]
        out.append(
            {
                "n": n,
                "report": str(e["report"]) if e.get("report") else None,
                "source_path": _norm_path(e.get("source_path")),
                "table": table,
                "cell": str(e["cell"]),
                "value": e["value"],
                "original": e["original"],
                "reason": str(e["reason"]),
                "who": str(e["who"]),
                "when": when.isoformat() if isinstance(when, (dt.date, dt.datetime)) else str(when),
            }
        )
    return out


def load_corrections(path: str | Path) -> list[dict]:
    """Read and validate a corrections YAML file (a list; a file with comments only means no corrections)."""
    p = Path(path)
    if not p.exists():
        return []
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CorrectionsError(f"{p}: not valid YAML ({str(exc).splitlines()[0]})") from None
    except UnicodeDecodeError as exc:
        raise CorrectionsError(f"{p}: not UTF-8 text ({exc.reason})") from None
    if data is None:
        return []
    if isinstance(data, dict) and "corrections" in data:
        data = data["corrections"] or []
    if not isinstance(data, list):
        raise CorrectionsError(f"{p}: expected a YAML list of corrections")
    return _validate(data, str(p))


def parse_corrections(entries: list[dict], source: str = "<corrections>") -> list[dict]:
    """Validate corrections given as Python dicts (same keys as the YAML file)."""
    return _validate(entries, source)


def _norm_path(p) -> str | None:
    if not p:
        return None
    s = str(p).replace("\\", "/")
    return str(PurePosixPath(s.removeprefix("./")))


def _same_number(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _concerns(corr: dict, parsed: dict) -> tuple[bool, str | None]:
    """(does the correction point at this report?, why it is stale if it does but cannot apply by identity)."""
    rid = parsed.get("report_id")
    path = _norm_path(parsed.get("source_path"))
    id_match = bool(corr["report"] and rid and str(rid).startswith(corr["report"]))
    path_match = bool(corr["source_path"] and path and corr["source_path"] == path)
    if corr["report"] and rid:
        if id_match:
            return True, None
        if path_match:
            return True, (f"report changed: {path} now has report_id {rid}, the correction was made for "
                          f"{corr['report']}")
        return False, None
    return (id_match or path_match), None


def concerns(corr: dict, parsed: dict) -> bool:
    """Does the (validated) correction point at this report (by report_id prefix or source_path)? True also
    when it points at it but cannot apply (content changed): :func:`apply_corrections` then reports it stale."""
    return _concerns(corr, parsed)[0]


# ------------------------------------------------------------------ in-report checks
def parser_run_checks(parsed: dict) -> tuple[list[dict], dict | None]:
    """Adapter to the parser's ``run_checks(version, t2, t3, t4, text, t2_version)``: the table checks of a
    parsed report dict and the suggested repair. The narrative text is not kept in the parse object, so text
    checks (X.*) are not re-run here; :func:`_recheck` keeps them from the original parse."""
    from dagster_project.lib.parsing.checks import run_checks

    detected = parsed.get("template_detected") or {}
    version = detected.get("t3") or parsed.get("template_version")
    t2_version = detected.get("t2") or version
    return run_checks(version, parsed.get("t2"), parsed.get("t3"), parsed.get("t4"), "", t2_version=t2_version)


_TABLE_CHECK_PREFIXES = ("T2.", "T3.", "T4.")


def _recheck(parsed: dict, run_checks: Callable[[dict], object]) -> None:
    """Replace the table checks (T2./T3./T4.) with a fresh run; keep parse problems (P.*) and text checks."""
    result = run_checks(parsed)
    if isinstance(result, tuple):
        fresh, repair = result
        parsed["suggested_repair"] = repair
    else:
        fresh = result
    kept = [c for c in parsed.get("checks") or [] if not str(c.get("check_id", "")).startswith(_TABLE_CHECK_PREFIXES)]
    parsed["checks"] = list(fresh) + kept
    if parsed.get("status") in (None, "ok", "invariant_errors"):
        has_errors = any(c.get("severity") == "error" for c in parsed["checks"])
        parsed["status"] = "invariant_errors" if has_errors else "ok"


def apply_corrections(
    parsed: dict,
    corrections: list[dict],
    run_checks: Callable[[dict], object] | None = None,
) -> tuple[dict, list[dict], list[dict]]:
    """Apply the corrections that concern one parsed report (CONTRACT §3 dict, plus ``report_id`` when known).

    Returns ``(parsed_corrected, applied, stale)``:

    - ``parsed_corrected``: a copy with corrected values, ``value_origin`` (cell → ``"manual"``),
      ``original_values`` (cell → the value as printed), ``corrections`` (the applied entries), and
      ``checks``/``status``/``suggested_repair`` recomputed when anything was applied (table checks re-run
      with ``run_checks``, default :func:`parser_run_checks`; parse problems and text checks kept).
    - ``applied``: the entries applied, each with ``report_id`` and ``source_path`` of the report.
    - ``stale``: entries that point at this report but were not applied, each with a ``stale_reason``.

    ``corrections`` are validated entries (:func:`load_corrections` / :func:`parse_corrections`).
    """
    run_checks = run_checks or parser_run_checks
    out = copy.deepcopy(parsed)
    applied: list[dict] = []
    stale: list[dict] = []
    origins: dict[str, str] = dict(out.get("value_origin") or {})
    originals: dict[str, object] = dict(out.get("original_values") or {})
    for corr in corrections:
        concerns, why = _concerns(corr, parsed)
        if not concerns:
            continue
        tag = {"report_id": parsed.get("report_id"), "source_path": parsed.get("source_path")}
        table = out.get(corr["table"])
        if why is None and not isinstance(table, dict):
            why = f"report has no table {corr['table']}"
        elif why is None and corr["cell"] not in table:
            why = f"cell {corr['cell']} missing from {corr['table']}"
        elif why is None and corr["cell"] in originals:
            why = f"cell {corr['cell']} is already corrected by an earlier entry"
        elif why is None and not _same_number(table[corr["cell"]], corr["original"]):
            why = (f"original differs: the report states {corr['cell']} = {table[corr['cell']]}, "
                   f"the correction expects {corr['original']}")
        if why is not None:
            stale.append({**corr, **tag, "stale_reason": why})
            continue
        originals[corr["cell"]] = table[corr["cell"]]
        table[corr["cell"]] = corr["value"]
        origins[corr["cell"]] = "manual"
        applied.append({**corr, **tag})
    if applied:
        out["value_origin"] = origins
        out["original_values"] = originals
        out["corrections"] = [dict(a) for a in applied]
        _recheck(out, run_checks)
    return out, applied, stale


def apply_corrections_all(
    reports: list[dict],
    corrections: list[dict],
    run_checks: Callable[[dict], object] | None = None,
) -> tuple[list[dict], list[dict], list[dict]]:
    """:func:`apply_corrections` over a batch; entries that match no report come back stale too
    (``stale_reason = "report not found"``)."""
    run_checks = run_checks or parser_run_checks
    out, applied, stale = [], [], []
    for rep in reports:
        fixed, a, s = apply_corrections(rep, corrections, run_checks)
        out.append(fixed)
        applied += a
        stale += s
    for corr in corrections:
        if not any(_concerns(corr, rep)[0] for rep in reports):
            stale.append({**corr, "report_id": None, "source_path": corr["source_path"],
                          "stale_reason": "report not found"})
    return out, applied, stale
