"""Compare a parse result (CONTRACT §3 dict) with the :class:`Truth` it was rendered from.

The contract on ambiguity: a part listed in ``ambiguous`` may hold any candidate reading, but the
truth must be among its candidates; every part not listed must be read exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from dagster_project.lib.parsing.template import C7, PROCEEDINGS, T3_ROW_CODES
from devtools.synth.truth import InjectedError, Truth

META_FIELDS = ("agency_name", "report_year", "template_version", "publish_date")
TABLES = ("t2", "t3", "t4")
STATUSES = ("ok", "invariant_errors", "unreadable", "not_a_report")


def num_eq(a: Any, b: Any) -> bool:
    """Numeric equality (ints and floats; 1e-9 relative for decimals); None equals only None."""
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return False
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@dataclass
class Comparison:
    """Outcome of comparing one parse with its truth."""

    cells_total: int = 0
    cells_right: int = 0  # parsed value == truth
    cells_ambiguous_ok: int = 0  # differs, but in an ambiguous part whose candidates hold the truth
    ambiguous_parts: int = 0
    meta_right: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the parse meets the contract for this truth (ambiguity honoured)."""
        return not self.mismatches


def _table_of(part: str, keys: set[str], exp: dict) -> str | None:
    head = part.split(".", 1)[0]
    if head in TABLES:
        return head
    for t in TABLES:
        if keys and keys <= set(exp[t]):
            return t
    return None


def compare(result: dict, truth: Truth) -> Comparison:
    """Field-by-field comparison of ``result`` with ``truth.expected()``."""
    exp = truth.expected()
    cmp = Comparison()
    for f in META_FIELDS:
        if result.get(f) == exp[f]:
            cmp.meta_right += 1
        else:
            cmp.mismatches.append(f"{f}: got {result.get(f)!r}, expected {exp[f]!r}")
    covered: dict[str, set[str]] = {t: set() for t in TABLES}
    ambiguous = result.get("ambiguous") or {}
    if not isinstance(ambiguous, dict):
        cmp.mismatches.append(f"ambiguous is not a dict: {ambiguous!r}")
        ambiguous = {}
    for part, cands in ambiguous.items():
        cmp.ambiguous_parts += 1
        cands = [c for c in (cands or []) if isinstance(c, dict)]
        keys = set().union(*(c.keys() for c in cands)) if cands else set()
        table = _table_of(part, keys, exp)
        if table is None or not cands:
            cmp.mismatches.append(f"ambiguous part {part!r}: cannot place candidates {cands!r}")
            continue
        truth_part = {k: exp[table].get(k) for k in sorted(keys)}
        if any(all(num_eq(c.get(k), truth_part[k]) for k in c) for c in cands):
            covered[table] |= keys
        else:
            cmp.mismatches.append(f"ambiguous {part}: truth {truth_part} not among candidates {cands}")
    for t in TABLES:
        want = exp[t]
        got = result.get(t)
        cmp.cells_total += len(want)
        if not isinstance(got, dict):
            cmp.mismatches.append(f"{t}: got {got!r}, expected {len(want)} cells")
            continue
        extra = sorted(set(got) - set(want))
        if extra:
            cmp.mismatches.append(f"{t}: unexpected keys {extra[:5]}{'…' if len(extra) > 5 else ''}")
        for k, v in want.items():
            g = got.get(k)
            if num_eq(g, v):
                cmp.cells_right += 1
            elif k in covered[t]:
                cmp.cells_ambiguous_ok += 1
            else:
                cmp.mismatches.append(f"{t}.{k}: got {g!r}, expected {v!r}")
    return cmp


def error_checks(result: dict) -> list[dict]:
    """The error-severity checks of a parse result."""
    return [c for c in (result.get("checks") or []) if c.get("severity") == "error"]


def _points_at(check: dict, info: InjectedError, check_id: str, anchor: str) -> bool:
    """Whether ``check`` names the injected cell, or (for row/column checks) the anchor row/column."""
    cells = [str(x).split(".", 1)[-1] for x in (check.get("cells") or [])]
    if info.cell in cells:
        return True
    for cell in cells:
        head, _, tail = cell.partition("__")
        if check_id == "T3.H2" and head == anchor:
            return True
        if check_id in ("T3.H1", "T3.H3") and tail == anchor:
            return True
        if check_id == "T4.H1" and head == anchor:
            return True
    return False


def missing_error_checks(result: dict, info: InjectedError) -> list[str]:
    """The (check_id, anchor) pairs of ``info`` that no error check in ``result`` reports."""
    errors = error_checks(result)
    missing = []
    for check_id, anchor in info.checks:
        if not any(c.get("check_id") == check_id and _points_at(c, info, check_id, anchor) for c in errors):
            missing.append(f"{check_id}@{anchor}")
    return missing


def t3_row_digits(values: dict, version: str) -> dict[str, str]:
    """Each table 三 row's cells concatenated as digits (what txt_concat prints after the label)."""
    return {r: "".join(str(values.get(f"{r}__{c}")) for c in C7) for r in T3_ROW_CODES[version]}


def t4_digits(values: dict) -> str:
    """Table 四's 15 cells concatenated (the digit run txt_concat prints)."""
    return "".join(str(values.get(f"{p}__{r}")) for p, _ in PROCEEDINGS
                   for r in ("upheld", "corrected", "other", "pending", "total"))
