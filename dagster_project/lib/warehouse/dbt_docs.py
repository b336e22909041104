"""Render the dbt docs blocks that list every template code beside its Chinese label.

The output, ``dbt/models/docs/codes.md``, is committed (dbt needs it at parse time) and a test
checks that it matches this renderer, so template.py stays the one source of the codes.
Regenerate with ``python -m dagster_project.lib.warehouse.dbt_docs``.
"""

from __future__ import annotations

from dagster_project.lib.parsing import template as T
from dagster_project.lib.warehouse.codes import OUTCOME_GROUPS
from dagster_project.lib.warehouse.paths import DBT_PROJECT_DIR

CODES_MD = DBT_PROJECT_DIR / "models" / "docs" / "codes.md"


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if c is None else str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _block(name: str, intro: str, table: str) -> str:
    return f"{{% docs {name} %}}\n{intro}\n\n{table}\n{{% enddocs %}}\n"


def render() -> str:
    """The full text of ``codes.md``."""
    parts = ["<!-- Generated from dagster_project/lib/parsing/template.py by "
             "dagster_project.lib.warehouse.dbt_docs; do not edit by hand. -->\n"]
    parts.append(_block(
        "applicant_type_codes",
        "Applicant type (表三 申请人情况 column, domain.md §7.4); `total` is the 总计 column.",
        _table(("code", "中文"), list(T.COLUMNS)),
    ))
    rows = []
    for code in dict.fromkeys(c for v in T.VERSIONS for c in T.LEAVES[v]):
        versions = [v for v in T.VERSIONS if code in T.LEAVES[v]]
        row = next(r for v in versions for r in T.T3_ROWS[v] if r.code == code)
        rows.append((code, (row.group or "") + row.prefix + row.label, T.outcome_group(code), ", ".join(versions)))
    parts.append(_block(
        "outcome_code_codes",
        "Outcome leaf row of 表三 (三、本年度办理结果; domain.md §7.3). gov2021 has 21 leaves; in gov2019 "
        "`other_total` （六）其他处理 is itself the leaf.",
        _table(("code", "中文", "outcome_group", "templates"), rows),
    ))
    parts.append(_block(
        "outcome_group_codes",
        "Outcome group of a leaf row (the (一)…(六) headings of 表三).",
        _table(("code", "中文"), list(OUTCOME_GROUPS)),
    ))
    t3rows = []
    for code in dict.fromkeys(c for v in T.VERSIONS for c in T.T3_ROW_CODES[v]):
        versions = [v for v in T.VERSIONS if code in T.T3_ROW_CODES[v]]
        r = next(r for v in versions for r in T.T3_ROWS[v] if r.code == code)
        t3rows.append((code, (r.group or "") + r.prefix + r.label, r.kind, ", ".join(versions)))
    parts.append(_block(
        "t3_row_codes",
        "Printed data rows of 表三 (收到和处理政府信息公开申请情况).",
        _table(("code", "中文", "kind", "templates"), t3rows),
    ))
    parts.append(_block(
        "proceeding_codes",
        "Proceeding of 表四 (政府信息公开行政复议、行政诉讼情况; domain.md §7.5).",
        _table(("code", "中文"), [(c, ("行政复议" if c == "admin_review" else "行政诉讼 · " + zh)
                                    if c != "admin_review" else zh) for c, zh in T.PROCEEDINGS]),
    ))
    parts.append(_block(
        "result_codes",
        "Result of a 表四 proceeding; `total` = upheld + corrected + other + pending (T4.H1).",
        _table(("code", "中文"), list(T.RESULTS)),
    ))
    items, measures = [], []
    seen_items: dict[str, list[str]] = {}
    seen_measures: dict[tuple[str, str], list[str]] = {}
    for v in T.VERSIONS:
        for b in T.T2_BLOCKS[v]:
            for i in b.items:
                seen_items.setdefault(i.code, [b.code, i.label])
                if v not in seen_items[i.code]:
                    seen_items[i.code].append(v)
            for m in b.measures:
                key = (m.code, m.label)
                seen_measures.setdefault(key, [m.kind])
                if v not in seen_measures[key]:
                    seen_measures[key].append(v)
    items = [(code, vals[1], vals[0], ", ".join(vals[2:])) for code, vals in seen_items.items()]
    measures = [(code, zh, vals[0], ", ".join(vals[1:])) for (code, zh), vals in seen_measures.items()]
    parts.append(_block(
        "t2_item_codes",
        "Item of 表二 (主动公开政府信息情况; domain.md §7.2).",
        _table(("code", "中文", "block", "templates"), items),
    ))
    parts.append(_block(
        "t2_measure_codes",
        "Measure of a 表二 item. Fees (`fee_amount_10k_cny`) are in 万元; `items_change` is signed.",
        _table(("code", "中文", "kind", "templates"), measures),
    ))
    return "\n".join(parts)


def write() -> bool:
    """Write ``codes.md`` if it changed; True when written."""
    text = render()
    if CODES_MD.exists() and CODES_MD.read_text(encoding="utf-8") == text:
        return False
    CODES_MD.parent.mkdir(parents=True, exist_ok=True)
    CODES_MD.write_text(text, encoding="utf-8")
    return True


if __name__ == "__main__":
    print("written" if write() else "up to date", CODES_MD)
