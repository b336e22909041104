"""Code tables (rows, columns, items, measures …) from ``lib/parsing/template.py``, as plain rows.

They are loaded into DuckDB (``raw.codes``) on every run so dbt can join labels and test
relationships without a second copy of the template in a seed file.
"""

from __future__ import annotations

from dagster_project.lib.parsing import template as T

CODE_COLUMNS = (
    "code_type",  # t3_row | t3_column | t4_proceeding | t4_result | t2_item | t2_measure | outcome_group
    "code",
    "template_version",  # gov2019 | gov2021 | 'any'
    "label_zh",
    "kind",  # t3_row: input | leaf | total; t2_measure: count | signed | decimal | money
    "parent_zh",  # t3_row: printed group (e.g. (三)不予公开); t2: block caption
    "outcome_group",  # t3 leaf rows only
    "block",  # t2 items/measures: art20_1 …
    "sort_order",
)

OUTCOME_GROUPS = (
    ("granted", "予以公开"),
    ("partially_granted", "部分公开"),
    ("denied", "不予公开"),
    ("unavailable", "无法提供"),
    ("not_processed", "不予处理"),
    ("other", "其他处理"),
)


def code_rows() -> list[tuple]:
    """Every code of the two templates with its Chinese label, one tuple per (type, code, version)."""
    rows: list[tuple] = []
    for version in T.VERSIONS:
        for i, r in enumerate(T.T3_ROWS[version]):
            rows.append(("t3_row", r.code, version, r.prefix + r.label, r.kind, r.group,
                         T.outcome_group(r.code) if r.kind == "leaf" else None, None, i))
        seen: set[str] = set()
        order = 0
        for b in T.T2_BLOCKS[version]:
            for item in b.items:
                rows.append(("t2_item", item.code, version, item.label, None, b.caption, None, b.code, order))
                order += 1
                for m in b.measures:
                    key = f"{b.code}:{m.code}"
                    if key in seen:
                        continue
                    seen.add(key)
                    rows.append(("t2_measure", m.code, version, m.label, m.kind, b.caption, None, b.code, len(seen)))
    for i, (code, label) in enumerate(T.COLUMNS):
        rows.append(("t3_column", code, "any", label, None, None, None, None, i))
    for i, (code, label) in enumerate(T.PROCEEDINGS):
        rows.append(("t4_proceeding", code, "any", label, None, "行政复议" if code == "admin_review" else "行政诉讼",
                     None, None, i))
    for i, (code, label) in enumerate(T.RESULTS):
        rows.append(("t4_result", code, "any", label, None, None, None, None, i))
    for i, (code, label) in enumerate(OUTCOME_GROUPS):
        rows.append(("outcome_group", code, "any", label, None, None, None, None, i))
    return rows


def label(code_type: str, code: str) -> str:
    """The Chinese label of a code (first version that has it)."""
    for row in code_rows():
        if row[0] == code_type and row[1] == code:
            return row[3]
    raise KeyError((code_type, code))
