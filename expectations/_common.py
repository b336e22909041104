"""Shared pieces of the suites: template codes (from template.py) and expectation helpers."""

from __future__ import annotations

from dagster_project.lib.parsing import template as T

C7 = list(T.C7)
C6 = list(T.C6)
LEAVES_ALL = list(dict.fromkeys(c for v in T.VERSIONS for c in T.LEAVES[v]))
INT_TYPES = ["int8", "int16", "int32", "int64", "Int8", "Int16", "Int32", "Int64", "uint8", "uint16", "uint32",
             "uint64"]


T3_LABELS = {r.code: r.label for v in T.VERSIONS for r in T.T3_ROWS[v]}  # 表三 row code -> its printed label
COLUMN_LABELS = dict(T.COLUMNS)  # 表三 applicant type -> 自然人 …
PROCEEDING_LABELS = dict(T.PROCEEDINGS)
RESULT_LABELS = dict(T.RESULTS)


def meta(invariant: str, label: str) -> dict:
    """What an expectation checks: ``invariant`` starts with its id (``T3.H1 …``, domain.md §3, or a structural id:
    ``GRAIN``, ``CODES §7.x``, ``SHAPE``, ``ACCOUNTING``) and states it in words; ``label`` is the Chinese label of
    the template row/column it is about."""
    return {"invariant": invariant, "label": label}


def described(expectations: list) -> list:
    """Give every expectation its description (shown in the Data Docs and the Dagster check metadata) from its
    meta: the invariant id and statement, then the Chinese label."""
    for e in expectations:
        m = e.meta or {}
        e.description = f"{m['invariant']} — {m['label']}"
    return expectations
