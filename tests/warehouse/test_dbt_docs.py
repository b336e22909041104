"""dbt documentation: every model and column described; codes beside their Chinese labels."""

from __future__ import annotations

import json

from dagster_project.lib.parsing import template as T
from dagster_project.lib.warehouse import dbt_docs
from dagster_project.lib.warehouse.dbt_manifest import ensure_manifest


def test_codes_doc_is_in_sync_with_template():
    assert dbt_docs.CODES_MD.read_text(encoding="utf-8") == dbt_docs.render(), \
        "run: python -m dagster_project.lib.warehouse.dbt_docs"
    text = dbt_docs.render()
    for code, label in T.COLUMNS + T.PROCEEDINGS + T.RESULTS:
        assert f"| {code} | " in text and label in text
    for v in T.VERSIONS:
        for row in T.T3_ROWS[v]:
            assert f"| {row.code} | " in text and row.label in text


def test_every_model_and_column_is_documented():
    manifest = json.loads(ensure_manifest().read_text())
    missing = []
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["package_name"] != "gongkai":
            continue
        if not node.get("description"):
            missing.append(uid)
        if not node.get("columns"):
            missing.append(f"{uid}: no columns documented")
        for col, spec in node.get("columns", {}).items():
            if not spec.get("description"):
                missing.append(f"{uid}.{col}")
    own = [m for m in missing if ".analysis" not in m and "_analysis" not in m]
    assert own == []


def test_core_marts_declare_the_contract_columns():
    manifest = json.loads(ensure_manifest().read_text())
    cols = {n["name"]: set(n["columns"]) for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    contract = {
        "reports": {"report_id", "source_path", "source_format", "agency_name", "report_year", "template_version",
                    "publish_date", "status", "n_errors", "n_warnings"},
        "fct_applications": {"report_id", "report_year", "agency_name", "applicant_type", "received_new",
                             "carried_in", "outcome_total", "carried_out"},
        "fct_outcomes": {"report_id", "report_year", "agency_name", "applicant_type", "outcome_code",
                         "outcome_group", "count"},
        "fct_appeals": {"report_id", "report_year", "agency_name", "proceeding", "result", "count"},
        "fct_proactive_disclosure": {"report_id", "report_year", "agency_name", "item", "measure", "value"},
        "check_results": {"report_id", "report_year", "check_id", "severity", "cells", "expected", "actual",
                          "message"},
        "quarantine": {"report_id", "report_year", "source_path", "agency_name", "failed_checks",
                       "suggested_repair"},
    }
    for model, columns in contract.items():
        assert columns <= cols[model], (model, columns - cols[model])
