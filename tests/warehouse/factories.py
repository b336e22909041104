"""Small, consistent fact rows (as the dbt marts hold them) for suite and loader tests."""

from __future__ import annotations

import pandas as pd

from dagster_project.lib.parsing import template as T


def t3_cells(version: str = "gov2021", seed: int = 1) -> dict[str, int]:
    """A table 三 that satisfies T3.H1–H3 (flat ``{row}__{col}`` keys, printed rows only)."""
    leaves = T.LEAVES[version]
    cells: dict[str, int] = {}
    for j, col in enumerate(T.C6):
        per_leaf = {leaf: (seed + i + j) % 3 for i, leaf in enumerate(leaves)}
        for leaf, v in per_leaf.items():
            cells[f"{leaf}__{col}"] = v
        outcome = sum(per_leaf.values())
        carried_in = (seed + j) % 2
        carried_out = (seed * 3 + j) % 2
        cells[f"outcome_total__{col}"] = outcome
        cells[f"carried_in__{col}"] = carried_in
        cells[f"carried_out__{col}"] = carried_out
        cells[f"received_new__{col}"] = outcome + carried_out - carried_in
        if cells[f"received_new__{col}"] < 0:
            cells[f"carried_in__{col}"] = 0
            cells[f"received_new__{col}"] = outcome + carried_out
    for row in T.T3_ROW_CODES[version]:
        cells[f"{row}__total"] = sum(cells[f"{row}__{c}"] for c in T.C6)
    return cells


def t4_cells(seed: int = 1) -> dict[str, int]:
    cells = {}
    for i, (p, _) in enumerate(T.PROCEEDINGS):
        parts = [(seed + i + k) % 3 for k in range(4)]
        for (r, _), v in zip(T.RESULTS[:4], parts):
            cells[f"{p}__{r}"] = v
        cells[f"{p}__total"] = sum(parts)
    return cells


def t2_cells(version: str = "gov2021", seed: int = 1) -> dict[str, float]:
    out = {}
    for i, key in enumerate(T.t2_keys(version)):
        out[key] = float((seed + i) % 5)
    return out


def fact_frames(reports: list[tuple[str, str, int]]) -> dict[str, pd.DataFrame]:
    """fct_* frames for ``reports`` = [(report_id, template_version, seed)]."""
    apps, outs, appeals, t2 = [], [], [], []
    for rid, version, seed in reports:
        c = t3_cells(version, seed)
        for col in T.C7:
            apps.append({"report_id": rid, "report_year": 2023, "agency_name": "x", "template_version": version,
                         "applicant_type": col, "received_new": c[f"received_new__{col}"],
                         "carried_in": c[f"carried_in__{col}"], "outcome_total": c[f"outcome_total__{col}"],
                         "carried_out": c[f"carried_out__{col}"]})
            for leaf in T.LEAVES[version]:
                outs.append({"report_id": rid, "report_year": 2023, "agency_name": "x", "template_version": version,
                             "applicant_type": col, "outcome_code": leaf,
                             "outcome_group": T.outcome_group(leaf), "count": c[f"{leaf}__{col}"]})
        for key, v in t4_cells(seed).items():
            p, r = key.split("__")
            appeals.append({"report_id": rid, "report_year": 2023, "agency_name": "x", "template_version": version,
                            "proceeding": p, "result": r, "count": v})
        for key, v in t2_cells(version, seed).items():
            item, measure = key.split("__")
            t2.append({"report_id": rid, "report_year": 2023, "agency_name": "x", "template_version": version,
                       "block": None, "item": item, "measure": measure, "value": v})
    as_int = lambda df, cols: df.astype({c: "int64" for c in cols})  # noqa: E731
    return {
        "fct_applications": as_int(pd.DataFrame(apps), ["received_new", "carried_in", "outcome_total", "carried_out"]),
        "fct_outcomes": as_int(pd.DataFrame(outs), ["count"]),
        "fct_appeals": as_int(pd.DataFrame(appeals), ["count"]),
        "fct_proactive_disclosure": pd.DataFrame(t2),
    }
