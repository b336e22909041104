"""Audited corrections: the Anshan repair applied, removed and gone stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_project.lib.corrections import (
    CorrectionsError,
    apply_corrections,
    apply_corrections_all,
    load_corrections,
    parse_corrections,
    table_of,
)
from tests.conftest import REAL_REPORTS

REPO = Path(__file__).resolve().parents[2]
ANSHAN = REAL_REPORTS / "anshan-2023" / "page.txt"
CELL = "unavailable_not_held__org_business"


@pytest.fixture(scope="module")
def anshan() -> dict:
    if not ANSHAN.is_file():
        pytest.skip("../shared/real-reports/anshan-2023 not present")
    from dagster_project.lib.parsing.api import parse_file

    parsed = parse_file(ANSHAN, root=REAL_REPORTS)
    parsed["report_id"] = "0123456789abcdef"  # the warehouse's content-hash id, fixed here
    return parsed


def _errors(parsed: dict) -> list[str]:
    return sorted(c["check_id"] for c in parsed["checks"] if c["severity"] == "error")


def _repair(**overrides) -> list[dict]:
    entry = {"source_path": "anshan-2023/page.txt", "cell": CELL, "value": 7, "original": 0,
             "reason": "T3.H2 and T3.H3 both fixed by this one cell", "who": "test", "when": "2024-05-01"}
    entry.update(overrides)
    return parse_corrections([entry])


def test_anshan_as_published_breaks_two_hard_checks(anshan):
    assert anshan["t3"][CELL] == 0
    assert _errors(anshan) == ["T3.H2", "T3.H3"]
    assert anshan["status"] == "invariant_errors"


def test_accepting_the_repair_passes_every_hard_check(anshan):
    fixed, applied, stale = apply_corrections(anshan, _repair())
    assert stale == [] and [a["cell"] for a in applied] == [CELL]
    assert _errors(fixed) == []
    assert fixed["status"] == "ok"
    assert fixed["t3"][CELL] == 7
    assert fixed["value_origin"][CELL] == "manual"
    assert fixed["original_values"] == {CELL: 0}
    assert fixed["suggested_repair"] is None
    # the narrative warning of the original parse is kept (text checks are not re-run)
    assert [c["check_id"] for c in fixed["checks"]] == ["X.S3"]
    # the input is untouched
    assert anshan["t3"][CELL] == 0 and _errors(anshan) == ["T3.H2", "T3.H3"]


def test_matching_by_report_id_prefix(anshan):
    fixed, applied, _ = apply_corrections(anshan, _repair(source_path=None, report="01234567"))
    assert len(applied) == 1 and _errors(fixed) == []


def test_removing_the_correction_brings_the_errors_back(anshan):
    fixed, applied, stale = apply_corrections(anshan, [])
    assert applied == stale == []
    assert _errors(fixed) == ["T3.H2", "T3.H3"] and fixed["status"] == "invariant_errors"
    assert "value_origin" not in fixed or CELL not in fixed["value_origin"]


def test_stale_original_is_reported_and_not_applied(anshan):
    fixed, applied, stale = apply_corrections(anshan, _repair(original=3))
    assert applied == []
    assert len(stale) == 1 and stale[0]["stale_reason"].startswith("original differs")
    assert fixed["t3"][CELL] == 0 and _errors(fixed) == ["T3.H2", "T3.H3"]


def test_changed_file_and_missing_cell_are_stale(anshan):
    # same path, different content (report id) → the file changed
    _, applied, stale = apply_corrections(anshan, _repair(report="fedcba987654"))
    assert applied == [] and stale[0]["stale_reason"].startswith("report changed")
    # a report without that cell
    no_cell = {**anshan, "t3": {k: v for k, v in anshan["t3"].items() if k != CELL}}
    _, applied, stale = apply_corrections(no_cell, _repair())
    assert applied == [] and "missing" in stale[0]["stale_reason"]


def test_batch_reports_corrections_for_no_report(anshan):
    corrections = _repair() + parse_corrections([
        {"source_path": "gone/page.txt", "cell": "granted__total", "value": 1, "original": 0,
         "reason": "r", "who": "w", "when": "2024-01-01"}])
    out, applied, stale = apply_corrections_all([anshan], corrections)
    assert [a["cell"] for a in applied] == [CELL]
    assert [(s["source_path"], s["stale_reason"]) for s in stale] == [("gone/page.txt", "report not found")]
    assert out[0]["status"] == "ok"


def test_yaml_file_roundtrip(tmp_path, anshan):
    f = tmp_path / "corrections.yaml"
    f.write_text(
        "- source_path: anshan-2023/page.txt\n"
        f"  cell: {CELL}\n"
        "  value: 7\n  original: 0\n  reason: one cell fixes T3.H2 and T3.H3\n  who: analyst\n  when: 2024-05-01\n",
        encoding="utf-8",
    )
    corrections = load_corrections(f)
    assert corrections[0]["table"] == "t3" and corrections[0]["when"] == "2024-05-01"
    fixed, applied, _ = apply_corrections(anshan, corrections)
    assert _errors(fixed) == [] and len(applied) == 1


def test_shipped_corrections_file_has_no_active_correction():
    assert load_corrections(REPO / "data" / "corrections.yaml") == []


def test_validation():
    assert (table_of("admin_review__corrected"), table_of("rules__in_force"), table_of(CELL)) == ("t4", "t2", "t3")
    with pytest.raises(CorrectionsError, match="missing reason"):
        parse_corrections([{"source_path": "x", "cell": CELL, "value": 1, "original": 0, "who": "w", "when": "d"}])
    with pytest.raises(CorrectionsError, match="unknown cell"):
        _repair(cell="no_such_cell")
    with pytest.raises(CorrectionsError, match="and/or source_path"):
        _repair(source_path=None)


@pytest.mark.parametrize("cell,value,why", [
    ("granted__total", "abc", "must be a number"),
    ("granted__total", float("nan"), "must be a finite number"),
    ("granted__total", [1, 2], "must be a number"),
    ("granted__total", True, "must be a number"),
    ("granted__total", 7.5, "must be a whole number"),
    ("granted__total", -5, "cannot be negative"),
    ("granted__total", 10**40, "beyond the plausibility bound"),
    ("admin_fees__fee_amount_10k_cny", -0.5, "cannot be negative"),
])
def test_correction_values_are_validated(cell, value, why):
    entry = {"source_path": "x.txt", "cell": cell, "value": value, "original": 0, "reason": "r", "who": "w",
             "when": "2024-05-01"}
    with pytest.raises(CorrectionsError, match=why):
        parse_corrections([entry])


@pytest.mark.parametrize("cell,value", [("granted__total", 7), ("licensing__items_change", -8),
                                        ("admin_fees__fee_amount_10k_cny", 12.5), ("granted__total", 7.0)])
def test_plausible_correction_values_are_accepted(cell, value):
    entry = {"source_path": "x.txt", "cell": cell, "value": value, "original": None, "reason": "r", "who": "w",
             "when": "2024-05-01"}
    assert parse_corrections([entry])[0]["value"] == value


def test_malformed_yaml_is_a_corrections_error(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("- report: [unclosed\n", encoding="utf-8")
    with pytest.raises(CorrectionsError, match="not valid YAML"):
        load_corrections(p)
