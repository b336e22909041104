"""Plausibility bounds: no unsplit digit run is ever returned as one cell.

A reading of run-together digits with a cell beyond its bound (template.VALUE_BOUND: counts at most
999,999,999, fees in 万元 at most 10^9, procurement in 元 at most 10^15) is not a reading. A row or a
table 四 block with no in-bounds reading is null with a ``P.T*.SPLIT`` error; a 表四 block that breaks
T4.H1 keeps its printed numbers only when its digits read one way; several minimum-violation readings
of 表四 are listed in ``ambiguous["t4"]``.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.lib.parsing import split as sp
from dagster_project.lib.parsing.api import parse_bytes
from dagster_project.lib.parsing.tables import T4_KEYS, solve_t4
from dagster_project.lib.parsing.template import (MAX_COUNT, MAX_FEE_10K_CNY, MAX_PROCUREMENT_CNY, T2_BLOCKS,
                                                  VALUE_BOUND, VERSIONS, t2_measure)
from devtools.synth.case import make_case
from devtools.synth.compare import t4_digits
from tests.conftest import SHARED

REPRO = SHARED / "repro" / "t4-long-row-overflow.txt"
DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=70)


def runs(text: str) -> list[sp.Group]:
    return sp.segment_groups(text)[0]


def _kind(table: str, version: str | None, key: str) -> str:
    return "count" if table in ("t3", "t4") else t2_measure(version, key).kind


def _out_of_bounds(result: dict) -> list[tuple[str, object]]:
    """(key, value) of every returned cell, in the values or an ambiguous candidate, beyond its bound."""
    bad = []
    v2 = (result.get("template_detected") or {}).get("t2") or result.get("template_version")
    for table in ("t2", "t3", "t4"):
        for key, v in (result.get(table) or {}).items():
            if isinstance(v, (int, float)) and abs(v) > VALUE_BOUND[_kind(table, v2, key)]:
                bad.append((key, v))
    for part, cands in (result.get("ambiguous") or {}).items():
        table = part.split(".")[0]
        for cand in cands:
            for key, v in cand.items():
                if isinstance(v, (int, float)) and abs(v) > VALUE_BOUND[_kind(table, v2, key)]:
                    bad.append((f"{part}:{key}", v))
    return bad


def test_bounds_are_the_documented_ones():
    assert (MAX_COUNT, MAX_FEE_10K_CNY, MAX_PROCUREMENT_CNY) == (999_999_999, 10**9, 10**15)
    # the decimal and money kinds are exactly the fee and procurement measures the bounds are for
    for version in VERSIONS:
        for block in T2_BLOCKS[version]:
            for m in block.measures:
                assert (m.kind == "decimal") == (m.code == "fee_amount_10k_cny")
                assert (m.kind == "money") == (m.code == "procurement_amount_cny")


# ---------------------------------------------------------------- the repro (issue text)
@pytest.mark.skipif(not REPRO.is_file(), reason="../shared/repro is not present")
def test_long_t4_row_is_a_split_error_not_a_huge_cell():
    got = parse_bytes(REPRO.read_bytes(), REPRO.name)
    assert got["status"] == "invariant_errors"
    splits = [c for c in got["checks"] if c["check_id"] == "P.T4.SPLIT"]
    assert splits and all(c["severity"] == "error" for c in splits)
    for table in ("t2", "t3", "t4"):
        for key, v in (got[table] or {}).items():
            assert v is None or v < 10**9, (table, key, v)
    # the cells a P.T4.SPLIT names are null, and every cell it does not name was read
    named = {cell for c in splits for cell in c["cells"]}
    assert named and all(got["t4"][k] is None for k in named)
    assert all(got["t4"][k] is not None for k in T4_KEYS if k not in named)
    assert not _out_of_bounds(got)


# ---------------------------------------------------------------- table 四 fallbacks
def test_violated_block_with_one_reading_keeps_the_printed_numbers():
    # five one-digit cells per block: the last block (0+0+0+1 ≠ 2) reads one way only
    res = solve_t4(runs("300030100100012"), False)
    assert list(res.values.values()) == [3, 0, 0, 0, 3, 0, 1, 0, 0, 1, 0, 0, 0, 1, 2]
    assert not res.problems and not res.ambiguous  # T4.H1 (checks.py) flags the block


def test_violated_block_with_several_readings_is_null_with_a_split_error():
    # block 1 and 2 are consistent; the last block's 16 digits read many ways, none summing
    res = solve_t4(runs("21800110313212781788064727131523112703512526"), False)
    split = [p for p in res.problems if p["check_id"] == "P.T4.SPLIT"]
    assert len(split) == 1 and split[0]["severity"] == "error"
    assert split[0]["cells"] == [k for k in T4_KEYS if k.startswith("litigation_after_review__")]
    assert all(res.values[k] is None for k in split[0]["cells"])
    assert all(isinstance(v, int) and v <= MAX_COUNT for k, v in res.values.items() if k not in split[0]["cells"])


def test_t4_run_beyond_any_reading_is_null():
    # 15 cells of at most 9 digits hold at most 135 digits
    res = solve_t4(runs("7" * 140), False)
    assert all(v is None for v in res.values.values()) and len(res.values) == 15
    assert [p["check_id"] for p in res.problems] == ["P.T4.SPLIT"]


def test_two_errors_in_one_t4_row_are_listed_as_ambiguous():
    """1 0 3 2 5 | 20 0 0 0 20 | 0 0 0 0 1: blocks 1 and 3 break T4.H1 (6 ≠ 5, 0 ≠ 1). Reading the
    first block as 10 3 2 5 20 makes it consistent but breaks block 2 instead (0 0 0 2 0): two
    violations either way, so both readings are candidates and neither is picked silently."""
    truth = [1, 0, 3, 2, 5, 20, 0, 0, 0, 20, 0, 0, 0, 0, 1]
    text = "".join(map(str, truth))
    res = solve_t4(runs(text), False)
    cands = [list(c.values()) for c in res.ambiguous["t4"]]
    assert truth in cands and len(cands) >= 2
    assert list(res.values.values()) == cands[0]
    # end to end, in a scraped (cells run together) report
    case = make_case(3, "txt_concat", "gov2021", scale="small")
    src = case.data.decode("utf-8")
    old = t4_digits(case.truth.t4)
    assert src.count(old) == 1
    got = parse_bytes(src.replace(old, text).encode("utf-8"), case.name)
    assert got["status"] == "invariant_errors"
    assert truth in [[c[k] for k in T4_KEYS] for c in got["ambiguous"]["t4"]]
    assert {c["check_id"] for c in got["checks"] if c["severity"] == "error"} >= {"T4.H1"}


# ---------------------------------------------------------------- rows of tables 三 and 二
def _with_row(src: str, label: str, digits: str) -> str:
    """``src`` with the digit run printed after ``label`` replaced by ``digits``."""
    # printed digits may be full-width or carry thousands separators (generator quirks)
    new, n = re.subn(re.escape(label) + r"\s*[0-9\uff10-\uff19][0-9\uff10-\uff19 ,，]*", lambda m: label + digits, src,
                     count=1)
    assert n == 1, label
    return new


def test_t3_row_without_an_in_bounds_reading_is_null():
    case = make_case(11, "txt_concat", "gov2021", scale="small")
    got = parse_bytes(_with_row(case.data.decode(), "属于国家秘密", "9" * 64).encode(), case.name)  # 7 cells hold at most 63 digits
    split = [c for c in got["checks"] if c["check_id"] == "P.T3.SPLIT"]
    assert len(split) == 1 and "denied_state_secret__total" in split[0]["cells"]
    assert all(got["t3"][f"denied_state_secret__{c}"] is None for c in ("natural_person", "total"))
    assert got["status"] == "invariant_errors" and not _out_of_bounds(got)
    # the null row raises no derived T3.H1/H3 errors of its own (the P.T3.SPLIT says it all)
    assert not [c for c in got["checks"] if c["severity"] == "error" and c["check_id"] != "P.T3.SPLIT"]


def test_t2_row_without_an_in_bounds_reading_is_null():
    case = make_case(12, "txt_concat", "gov2021", scale="small")
    got = parse_bytes(_with_row(case.data.decode(), "行政处罚", "8" * 12).encode(), case.name)  # one count cell: ≤ 9 digits
    assert [c["cells"] for c in got["checks"] if c["check_id"] == "P.T2.SPLIT"] == [["penalty__decisions"]]
    assert got["t2"]["penalty__decisions"] is None
    assert got["status"] == "invariant_errors"


def test_t2_amounts_have_their_own_bounds():
    # 采购总金额 in 元 may be large (≤ 10^15); the project count beside it may not
    readings = list(sp.enumerate_splits(runs("37614490400000元"), ["count", "money"]))
    assert ("3", "7614490400000" + sp.YUAN) in readings
    assert all(len(a) <= 9 for a, _ in readings)
    assert not list(sp.enumerate_splits(runs("1" * 17 + "元"), ["money"]))  # 10^16 元 is not a reading
    assert list(sp.enumerate_splits(runs("10000000000000元"), ["decimal"])) == [("10000000000000" + sp.YUAN,)]  # 10^9 万元
    assert not list(sp.enumerate_splits(runs("1" * 11), ["decimal"]))  # 11,111,111,111 万元


# ---------------------------------------------------------------- properties
def _cells_ok(readings, kinds) -> bool:
    for r in readings:
        for cell, kind in zip(r, kinds):
            if cell is None:
                continue
            if not VALUE_BOUND[kind] >= abs(sp.cell_value(cell, kind)):
                return False
    return True


@settings(max_examples=300, deadline=None, derandomize=True)
@given(DIGITS)
def test_no_split_returns_a_cell_beyond_its_bound(digits):
    g = runs(digits)
    for fn, kinds in (
        (lambda: sp.total_splits(g, 7), ["count"] * 7),
        (lambda: list(sp.enumerate_splits(g, ["count"] * 7, limit=500)), ["count"] * 7),
        (lambda: list(sp.enumerate_splits(g, ["count", "signed", "count"], limit=500)), ["count", "signed", "count"]),
        (lambda: list(sp.enumerate_splits(g, ["count", "money"], limit=500)), ["count", "money"]),
        (lambda: list(sp.enumerate_splits(g, ["decimal"], limit=500)), ["decimal"]),
        (lambda: sp.block_sum_splits(g, 3, 5), ["count"] * 15),
        (lambda: sp.block_min_violation_splits(g, 3, 5)[1], ["count"] * 15),
        (lambda: sp.best_scored_splits(g, ["count"] * 7, lambda i, c: len(c))[1], ["count"] * 7),
    ):
        try:
            readings = fn()
        except sp.SearchTooLarge:
            continue  # the table solvers report it as a P.T*.SPLIT problem
        assert _cells_ok(readings, kinds), (digits, readings[:3])


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10_000), t4=DIGITS, t3=DIGITS, t2=st.text(alphabet="0123456789", min_size=1, max_size=30),
       version=st.sampled_from(VERSIONS))
def test_parsed_reports_never_return_a_cell_beyond_its_bound(seed, t4, t3, t2, version):
    """Random digit runs in place of table 四, one table 三 row and one table 二 row of a generated report."""
    case = make_case(seed, "txt_concat", version, scale=random.Random(seed).choice(["small", "medium", "large"]))
    src = _with_row(case.data.decode("utf-8"), "尚未审结总计", t4)  # the header's last 总计, then the run
    src = _with_row(src, "一、本年新收政府信息公开申请数量", t3)
    src = _with_row(src, "行政许可", t2)
    got = parse_bytes(src.encode("utf-8"), case.name)
    assert got["error"] is None, got["error"]
    assert not _out_of_bounds(got)
    # a null cell is always explained by a parse error
    nulls = [k for tb in ("t3", "t4") for k, v in (got[tb] or {}).items() if v is None]
    if nulls:
        assert any(c["check_id"].startswith("P.") for c in got["checks"]), nulls


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 100_000), fmt=st.sampled_from(["txt_concat", "txt_spaces", "html"]))
def test_generated_reports_stay_within_bounds(seed, fmt):
    """Generated reports at every scale, with and without an injected error."""
    case = make_case(seed, fmt, None, scale=("small", "medium", "large")[seed % 3], inject=seed % 2 == 1)
    got = parse_bytes(case.data, case.name)
    assert not _out_of_bounds(got)
