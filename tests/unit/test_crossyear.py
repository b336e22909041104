"""Cross-report checks on a generated multi-year panel, and ambiguous splits settled by the neighbouring year."""

from __future__ import annotations

import random

from dagster_project.lib.crossyear import apply_resolutions, cross_report_checks, resolve_ambiguous
from dagster_project.lib.parsing.template import C6, C7, LEAVES

YEARS = range(2019, 2024)


def _t3(rng: random.Random, carried_in: dict[str, int]) -> dict:
    """A gov2021 table 三 that passes its own arithmetic, starting from the given carry-in per column."""
    t3: dict[str, int] = {}
    for c in C6:
        new = rng.randint(0, 60)
        total_in = new + carried_in[c]
        out = rng.randint(0, total_in // 4)
        decided = total_in - out
        t3[f"received_new__{c}"], t3[f"carried_in__{c}"] = new, carried_in[c]
        t3[f"outcome_total__{c}"], t3[f"carried_out__{c}"] = decided, out
        t3[f"granted__{c}"] = decided  # every decision a grant: enough for the chains
        for leaf in LEAVES["gov2021"][1:]:
            t3[f"{leaf}__{c}"] = 0
    for r in ("received_new", "carried_in", "outcome_total", "carried_out", *LEAVES["gov2021"]):
        t3[f"{r}__total"] = sum(t3[f"{r}__{c}"] for c in C6)
    return t3


def make_panel(n_agencies: int = 12, seed: int = 7) -> list[dict]:
    """Consistent reports: carried_in(y) = carried_out(y−1), in_force(y) = in_force(y−1) + issued − repealed."""
    rng = random.Random(seed)
    reports = []
    for a in range(n_agencies):
        carry = {c: rng.randint(0, 5) for c in C6}
        in_force = {"rules": rng.randint(20, 80), "normative_docs": rng.randint(100, 300)}
        for y in YEARS:
            t3 = _t3(rng, carry)
            carry = {c: t3[f"carried_out__{c}"] for c in C6}
            t2 = {}
            for item in ("rules", "normative_docs"):
                issued, repealed = rng.randint(0, 9), rng.randint(0, 3)
                in_force[item] = in_force[item] + issued - repealed
                t2.update({f"{item}__issued": issued, f"{item}__repealed": repealed, f"{item}__in_force": in_force[item]})
            reports.append({"report_id": f"r{a:02d}-{y}", "agency_id": f"ag{a:02d}", "report_year": y,
                            "template_version": "gov2021", "t2": t2, "t3": t3,
                            "t4": {"admin_review__total": 1}, "ambiguous": {}})
    return reports


def _find(reports, agency_id, year):
    return next(r for r in reports if r["agency_id"] == agency_id and r["report_year"] == year)


def test_consistent_panel_has_no_warnings():
    rows, resolutions = cross_report_checks(make_panel())
    assert rows == [] and resolutions == []


def test_breaks_are_warned_on_exactly_the_injected_agencies():
    reports = make_panel()
    # carry-over break: ag03 2022 says it carried in 3 more natural-person requests than 2021 carried out
    _find(reports, "ag03", 2022)["t3"]["carried_in__natural_person"] += 3
    _find(reports, "ag03", 2022)["t3"]["carried_in__total"] += 3
    # carry-over break in 2020 for ag09, on the 商业企业 column only
    _find(reports, "ag09", 2020)["t3"]["carried_in__org_business"] += 1
    # in-force break: ag05 2021 prints 10 more rules in force than the chain allows
    _find(reports, "ag05", 2021)["t2"]["rules__in_force"] += 10
    # a break in 2019 (first year of the tables) cannot be seen: no 2018 report
    _find(reports, "ag07", 2019)["t3"]["carried_in__total"] += 4

    rows, _ = cross_report_checks(reports)
    by_check: dict[str, set] = {}
    for r in rows:
        by_check.setdefault(r["check_id"], set()).add(r["report_id"])
    assert by_check.pop("X.S1") == {"r03-2022", "r09-2020"}
    # the inflated 2021 figure breaks 2020→2021 and 2021→2022
    assert by_check.pop("T2.S2") == {"r05-2021", "r05-2022"}
    assert by_check == {}

    xs1 = sorted((r["report_id"], r["cells"][0], r["expected"], r["actual"]) for r in rows if r["check_id"] == "X.S1")
    ag03_prev = _find(reports, "ag03", 2021)["t3"]
    assert ("r03-2022", "carried_in__natural_person", ag03_prev["carried_out__natural_person"],
            ag03_prev["carried_out__natural_person"] + 3) in xs1
    assert ("r03-2022", "carried_in__total", ag03_prev["carried_out__total"], ag03_prev["carried_out__total"] + 3) in xs1
    assert [x[1] for x in xs1 if x[0] == "r09-2020"] == ["carried_in__org_business"]
    t2s2 = {r["report_id"]: r for r in rows if r["check_id"] == "T2.S2"}
    assert t2s2["r05-2021"]["actual"] - t2s2["r05-2021"]["expected"] == 10
    assert t2s2["r05-2022"]["actual"] - t2s2["r05-2022"]["expected"] == -10
    assert all(r["severity"] == "warn" and r["cells"] for r in rows)
    assert set(rows[0]) == {"report_id", "report_year", "check_id", "severity", "cells", "expected", "actual", "message"}


def _anshan_like(prev_in_force: int, ambiguous_2023: bool = True) -> list[dict]:
    base = {"template_version": "gov2021", "t3": {}, "t4": {}, "agency_id": "210300-anshan"}
    r2022 = {**base, "report_id": "a2022", "report_year": 2022, "ambiguous": {},
             "t2": {"rules__issued": 2, "rules__repealed": 1, "rules__in_force": prev_in_force}}
    cands = [{"rules__issued": 1, "rules__repealed": 0, "rules__in_force": 56},
             {"rules__issued": 10, "rules__repealed": 5, "rules__in_force": 6}]
    r2023 = {**base, "report_id": "a2023", "report_year": 2023, "t2": dict(cands[0]),
             "ambiguous": {"t2.rules": cands} if ambiguous_2023 else {}}
    return [r2022, r2023]


def test_ambiguous_split_resolved_by_previous_year_keeps_preferred():
    rows, res = cross_report_checks(_anshan_like(prev_in_force=55))
    assert rows == []
    assert len(res) == 1
    r = res[0]
    assert (r["report_id"], r["part"], r["candidate_index"], r["changed"]) == ("a2023", "t2.rules", 0, False)
    assert r["values"] == {"rules__issued": 1, "rules__repealed": 0, "rules__in_force": 56}
    assert r["resolved_by"] == "T2.S2 with 2022 report a2022"


def test_ambiguous_split_resolved_to_the_second_reading():
    reports = _anshan_like(prev_in_force=1)  # 1 + 10 − 5 = 6: only the second reading chains
    rows, res = cross_report_checks(reports)
    assert [(r["candidate_index"], r["changed"]) for r in res] == [(1, True)]
    assert rows == []  # checked with the resolved values: no T2.S2 warning
    fixed = apply_resolutions(reports[1], res)
    assert fixed["t2"] == {"rules__issued": 10, "rules__repealed": 5, "rules__in_force": 6}
    assert fixed["ambiguous"] == {} and fixed["resolved"] == {"t2.rules": "T2.S2 with 2022 report a2022"}
    assert reports[1]["t2"]["rules__in_force"] == 56  # inputs are not modified


def test_ambiguous_split_resolved_by_next_year_and_by_a_chain():
    base = {"template_version": "gov2021", "t3": {}, "t4": {}, "agency_id": "ag"}
    c2022 = [{"rules__issued": 3, "rules__repealed": 0, "rules__in_force": 50},
             {"rules__issued": 30, "rules__repealed": 0, "rules__in_force": 5}]
    c2023 = [{"rules__issued": 1, "rules__repealed": 0, "rules__in_force": 56},
             {"rules__issued": 10, "rules__repealed": 5, "rules__in_force": 6}]
    reports = [
        # 2022 and 2023 are both ambiguous, 2024 is settled
        {**base, "report_id": "x2022", "report_year": 2022, "t2": dict(c2022[0]), "ambiguous": {"t2.rules": c2022}},
        {**base, "report_id": "x2023", "report_year": 2023, "t2": dict(c2023[0]), "ambiguous": {"t2.rules": c2023}},
        {**base, "report_id": "x2024", "report_year": 2024, "ambiguous": {},
         "t2": {"rules__issued": 4, "rules__repealed": 0, "rules__in_force": 60}},
    ]
    _, res = resolve_ambiguous(reports)
    got = {r["report_id"]: (r["candidate_index"], r["resolved_by"]) for r in res}
    # 2024 settles 2023 (56 + 4 − 0 = 60, while 6 + 4 ≠ 60). The settled 2023 reading (1/0/56) needs 55 in
    # force in 2022; 2022's readings give 50 or 5, so neither chains and 2022 stays open.
    assert got == {"x2023": (0, "T2.S2 with 2024 report x2024")}
    # with 2022's first reading at 55 in force, the settled 2023 then settles 2022 in the same call
    reports[0]["ambiguous"]["t2.rules"][0]["rules__in_force"] = 55
    reports[0]["t2"]["rules__in_force"] = 55
    _, res = resolve_ambiguous(reports)
    got = {r["report_id"]: (r["candidate_index"], r["resolved_by"]) for r in res}
    assert got == {"x2023": (0, "T2.S2 with 2024 report x2024"), "x2022": (0, "T2.S2 with 2023 report x2023")}


def test_unresolvable_parts_stay_ambiguous():
    # no neighbour
    _, res = resolve_ambiguous(_anshan_like(prev_in_force=55)[1:])
    assert res == []
    # both readings chain (prev in_force 55 fits 1/0/56; make the other fit too): no choice is made
    reports = _anshan_like(prev_in_force=55)
    reports[1]["ambiguous"]["t2.rules"][1] = {"rules__issued": 11, "rules__repealed": 10, "rules__in_force": 56}
    out, res = resolve_ambiguous(reports)
    assert res == [] and "t2.rules" in out[1]["ambiguous"]


def test_t3_carry_part_resolved_by_x_s1():
    prev = {"report_id": "p", "agency_id": "ag", "report_year": 2021, "template_version": "gov2021", "t2": {}, "t4": {},
            "ambiguous": {}, "t3": {f"carried_out__{c}": v for c, v in zip(C7, (12, 0, 0, 1, 0, 0, 13))}}
    cands = [{f"carried_in__{c}": v for c, v in zip(C7, (1, 2, 0, 1, 0, 0, 4))},
             {f"carried_in__{c}": v for c, v in zip(C7, (12, 0, 0, 1, 0, 0, 13))}]
    cur = {"report_id": "c", "agency_id": "ag", "report_year": 2022, "template_version": "gov2021", "t2": {}, "t4": {},
           "t3": dict(cands[0]), "ambiguous": {"t3.carried_in": cands}}
    rows, res = cross_report_checks([prev, cur])
    assert [(r["part"], r["candidate_index"], r["resolved_by"]) for r in res] == [
        ("t3.carried_in", 1, "X.S1 with 2021 report p")]
    assert rows == []


def test_outliers():
    def rep(rid, y, received, other=None):
        t3 = {"received_new__total": received}
        if other is not None:
            t3["granted__natural_person"] = other
        return {"report_id": rid, "agency_id": "ag", "report_year": y, "template_version": "gov2021",
                "t2": {}, "t3": t3, "t4": {}, "ambiguous": {}}

    rows, _ = cross_report_checks([rep("a", 2020, 25, 3), rep("b", 2021, 300, 5), rep("c", 2022, 310, 1200)])
    got = sorted((r["report_id"], r["cells"][0], r["expected"], r["actual"]) for r in rows)
    # 25 → 300 is 12×; 5 → 1200 jumps from 1 digit to 4
    assert got == [("b", "received_new__total", 25, 300), ("c", "granted__natural_person", 5, 1200)]
    assert all(r["check_id"] == "X.S8" for r in rows)
    # a base under 20 is not judged; a 10× fall is
    rows, _ = cross_report_checks([rep("a", 2020, 15), rep("b", 2021, 400)])
    assert rows == []
    rows, _ = cross_report_checks([rep("a", 2020, 400), rep("b", 2021, 30)])
    assert [(r["report_id"], r["expected"], r["actual"]) for r in rows] == [("b", 400, 30)]


def test_duplicates_warn_only_when_numbers_differ():
    reports = make_panel(n_agencies=2)
    same = {**_find(reports, "ag01", 2021), "report_id": "copy-same"}
    differs = {**_find(reports, "ag00", 2022), "report_id": "copy-differs",
               "t3": {**_find(reports, "ag00", 2022)["t3"], "granted__total": -1}}
    rows, _ = cross_report_checks(reports + [same, differs])
    xs10 = [r for r in rows if r["check_id"] == "X.S10"]
    assert {(r["report_id"], tuple(r["cells"])) for r in xs10} == {
        ("copy-differs", ("granted__total",)), ("r00-2022", ("granted__total",))}
    assert [r for r in rows if r["check_id"] != "X.S10"] == []


def test_carry_over_not_checked_for_2019():
    prev = {"report_id": "p", "agency_id": "ag", "report_year": 2018, "t2": {}, "t4": {}, "ambiguous": {},
            "t3": {"carried_out__total": 9}}
    cur = {"report_id": "c", "agency_id": "ag", "report_year": 2019, "t2": {}, "t4": {}, "ambiguous": {},
           "t3": {"carried_in__total": 0}}
    assert cross_report_checks([prev, cur])[0] == []


def test_agency_identity_is_the_callers():
    """Agency identity is the report record's (lib/warehouse/record.py): reports without agency_id take no part."""
    from dagster_project.lib.agency import agency_id_for

    a = {"report_id": "a", "agency_name": "鞍山市人民政府办公室", "report_year": 2022, "t2": {}, "t4": {}, "ambiguous": {},
         "t3": {"carried_out__total": 5}}
    b = {"report_id": "b", "agency_name": "鞍山市 政府办公室", "report_year": 2023, "t2": {}, "t4": {}, "ambiguous": {},
         "t3": {"carried_in__total": 0}}
    assert cross_report_checks([a, b]) == ([], [])
    for r in (a, b):
        r["agency_id"] = agency_id_for(r["agency_name"])
    rows, _ = cross_report_checks([a, b])
    assert [(r["report_id"], r["check_id"], r["expected"], r["actual"]) for r in rows] == [("b", "X.S1", 5, 0)]


def test_real_reports_ambiguous_text_copies_settled_by_their_html_page():
    import json

    from tests.conftest import REAL_REPORTS

    if not REAL_REPORTS.is_dir():
        import pytest

        pytest.skip("../shared/real-reports not present")
    from dagster_project.lib.agency import agency_id_for
    from dagster_project.lib.parsing.api import parse_file

    reports, expected = [], {}
    for f in sorted(REAL_REPORTS.glob("*/page.*")):
        r = parse_file(f, root=REAL_REPORTS)
        r["report_id"] = str(f.relative_to(REAL_REPORTS))
        r["agency_id"] = agency_id_for(r["agency_name"])
        reports.append(r)
        expected[r["report_id"]] = json.loads((f.parent / "expected.json").read_text(encoding="utf-8"))
    rows, res = cross_report_checks(reports)
    open_parts = {r["report_id"]: set(r.get("ambiguous") or {}) for r in reports}
    settled = {(x["report_id"], x["part"]) for x in res}
    for rid, parts in open_parts.items():
        if rid.startswith("pingtan-"):  # every ambiguous part of a 平潭 text copy has an HTML twin
            assert {(rid, p) for p in parts} <= settled, rid
    for x in res:
        assert x["resolved_by"].startswith("X.S10 with ")
        exp_t2 = expected[x["report_id"]]["t2"]
        assert x["values"] == {k: exp_t2[k] for k in x["values"]}, (x["report_id"], x["part"])
    # Anshan 2023 has no twin and no 2022 report: its t2.rules stays ambiguous
    assert not any(x["report_id"].startswith("anshan") for x in res)
    # once settled, the copies agree: no duplicate warning
    assert [r for r in rows if r["check_id"] == "X.S10"] == []


def test_ambiguous_part_settled_by_an_unambiguous_copy():
    cands = [{"rules__issued": 1, "rules__repealed": 0, "rules__in_force": 56},
             {"rules__issued": 10, "rules__repealed": 5, "rules__in_force": 6}]
    txt = {"report_id": "txt", "agency_id": "ag", "report_year": 2023, "t2": dict(cands[0]), "t3": {}, "t4": {},
           "ambiguous": {"t2.rules": cands}}
    html = {"report_id": "html", "agency_id": "ag", "report_year": 2023, "t2": dict(cands[1]), "t3": {}, "t4": {},
            "ambiguous": {}}
    rows, res = cross_report_checks([txt, html])
    assert [(r["report_id"], r["candidate_index"], r["resolved_by"]) for r in res] == [
        ("txt", 1, "X.S10 with 2023 duplicate report html")]
    assert rows == []  # the copies agree once the text copy is settled
