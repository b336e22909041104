"""Shared pieces of the suites: template codes (from template.py) and expectation helpers."""

from __future__ import annotations

from dagster_project.lib.parsing import template as T

C7 = list(T.C7)
C6 = list(T.C6)
LEAVES_ALL = list(dict.fromkeys(c for v in T.VERSIONS for c in T.LEAVES[v]))
INT_TYPES = ["int8", "int16", "int32", "int64", "Int8", "Int16", "Int32", "Int64", "uint8", "uint16", "uint32",
             "uint64"]


def meta(invariant: str) -> dict:
    return {"invariant": invariant}
