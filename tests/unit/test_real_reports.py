"""Every real report in ../shared/real-reports parses to exactly its expected.json.

Values as the report states them, agency/year/template/publish date, the ambiguous parts
(listed exactly, with the expected reading among the candidates) and every source error as
an error check.
"""

from __future__ import annotations

import json
import re

import pytest

from dagster_project.lib.parsing.api import parse_file
from tests.conftest import real_report_files

CASES = real_report_files()
pytestmark = pytest.mark.skipif(not CASES, reason="../shared/real-reports is not present")


def _part(table: str, key: str) -> str:
    return "t4" if table == "t4" else f"{table}.{key.split('__')[0]}"


@pytest.mark.parametrize("case,path", CASES, ids=[c for c, _ in CASES])
def test_real_report_matches_expected(case, path):
    expected = json.loads((path.parent / "expected.json").read_text(encoding="utf-8"))
    got = parse_file(path)
    for key in ("agency_name", "report_year", "template_version", "publish_date"):
        assert got[key] == expected[key], key
    exp_amb = set(expected.get("ambiguous", {}).get(path.name, []))
    assert set(got["ambiguous"]) == exp_amb
    for table in ("t2", "t3", "t4"):
        values = got[table]
        assert values is not None, table
        for key, want in expected[table].items():
            part = _part(table, key)
            if part in exp_amb:
                readings = got["ambiguous"][part]
                assert any(r[key] == want for r in readings), (key, readings)
                assert values[key] in {r[key] for r in readings}
            else:
                assert values[key] == want, key
        # nothing printed beyond the template's cells
        extra = {k: v for k, v in values.items() if k not in expected[table] and v is not None}
        assert not extra, extra


@pytest.mark.parametrize("case,path", CASES, ids=[c for c, _ in CASES])
def test_source_errors_are_error_checks(case, path):
    expected = json.loads((path.parent / "expected.json").read_text(encoding="utf-8"))
    got = parse_file(path)
    errors = [c for c in got["checks"] if c["severity"] == "error"]
    wanted = expected.get("source_errors", [])
    assert len(errors) == len(wanted)
    for text in wanted:
        check_id, where = re.match(r"(\S+) (\S+?):", text).groups()
        assert any(c["check_id"] == check_id and any(where in cell for cell in c["cells"]) for c in errors), text
    assert got["status"] == ("invariant_errors" if wanted else "ok")


def test_anshan_repair_is_the_one_cell(real_reports_dir):
    got = parse_file(real_reports_dir / "anshan-2023" / "page.txt")
    assert got["suggested_repair"]["cells"] == {"unavailable_not_held__org_business": 7}
    h2 = next(c for c in got["checks"] if c["check_id"] == "T3.H2")
    assert (h2["cells"], h2["expected"], h2["actual"]) == (["unavailable_not_held__total"], 118, 125)
    h3 = next(c for c in got["checks"] if c["check_id"] == "T3.H3")
    assert (h3["cells"], h3["expected"], h3["actual"]) == (["outcome_total__org_business"], 0, 7)
    # narrative: 27 + 80 + 1 = 108 < 128 is a partial breakdown (soft)
    assert any(c["check_id"] == "X.S3" and c["severity"] == "warn" and c["actual"] == 108 for c in got["checks"])


def test_anshan_duplicate_text_is_read_once(real_reports_dir):
    from dagster_project.lib.parsing.readers import read_document

    data = (real_reports_dir / "anshan-2023" / "page.txt").read_bytes()
    doc = read_document(data, "page.txt")
    assert doc.text.count("一、本年新收政府信息公开申请数量") == 1
    assert data.decode("utf-8").count("一、本年新收政府信息公开申请数量") == 2


def _pairs() -> list[tuple[str, list]]:
    """Real reports published in more than one shape (the page and its scraped text): (case, [files])."""
    by_case: dict[str, list] = {}
    for case, path in CASES:
        by_case.setdefault(case.split("/")[0], []).append(path)
    return [(c, files) for c, files in sorted(by_case.items()) if len(files) > 1]


PAIRS = _pairs()


def _readings(parsed: dict, table: str, key: str) -> set:
    """The values a parse allows for one cell: its value, or every candidate of its ambiguous part."""
    part = _part(table, key)
    if part in parsed["ambiguous"]:
        return {r.get(key) for r in parsed["ambiguous"][part]}
    return {(parsed[table] or {}).get(key)}


@pytest.mark.skipif(not PAIRS, reason="no real report with two shapes in ../shared/real-reports")
@pytest.mark.parametrize("case,files", PAIRS, ids=[c for c, _ in PAIRS])
def test_shapes_of_one_report_agree(case, files):
    """The HTML page and its scraped text parse to the same report: same metadata, same error checks, and for
    every cell the same value, or (where run-together digits leave a part ambiguous in one shape) the other
    shape's reading among its candidates."""
    parsed = [parse_file(f) for f in files]
    first, *rest = parsed
    for other, f in zip(rest, files[1:]):
        for key in ("agency_name", "report_year", "template_version", "publish_date", "status"):
            assert other[key] == first[key], (f.name, key)
        ids = sorted(c["check_id"] for c in other["checks"] if c["severity"] == "error")
        assert ids == sorted(c["check_id"] for c in first["checks"] if c["severity"] == "error"), f.name
        for table in ("t2", "t3", "t4"):
            keys = set(first[table] or {}) | set(other[table] or {})
            assert keys, table
            for key in sorted(keys):
                a, b = _readings(first, table, key), _readings(other, table, key)
                assert a & b, (f.name, table, key, a, b)
