"""Cross-report checks (domain.md §3.3–3.4) and resolution of ambiguous splits by the neighbouring year.

Input: plain dicts, one per parsed report, with at least ``report_id``, ``agency_id``, ``report_year``,
``template_version``, ``t2``, ``t3``, ``t4`` and ``ambiguous`` (CONTRACT §3), and ``is_canonical`` where an agency
has several reports of one year. Identity (agency_id) and the canonical copy are the report record's
(``lib/warehouse/record.py``); this module never decides them. Reports without ``agency_id`` or year, or with
``status`` ``unreadable``/``not_a_report``, are ignored.

All checks are soft (``severity='warn'``). Each produces rows shaped like CONTRACT §2 ``check_results``:
``report_id, report_year, check_id, severity, cells, expected, actual, message``; ``expected``/``actual`` are
numbers (or None), one row per violated cell or identity, so the columns stay numeric.

- **X.S1** carry-over chain: ``carried_in[c](y) = carried_out[c](y−1)``, ∀c ∈ C7, same agency; not for
  y = 2019 (2018 reports had no such row). The row sits on the year-y report.
- **T2.S2** in-force chain (gov2021 table 二, both reports): ``in_force(y) = in_force(y−1) + issued(y) −
  repealed(y)`` for ``rules`` and ``normative_docs``.
- **T2.S3** item chain (gov2019 table 二, both reports): ``items_prev_year(y) = items_prev_year(y−1) +
  items_change(y−1)``.
- **X.S8** outliers: ``received_new.total`` rises or falls by more than 10× year on year with a base (the
  y−1 value) ≥ 20; or a cell with ≥ 2 more digits than the agency's earlier maximum for that cell (and ≥ 100):
  a likely split error.
- **X.S10** duplicates: several reports of one agency and year whose numbers differ; one row per differing
  cell (at most 10 per pair), on both reports. Chain checks use the *canonical* report of each agency and year
  (``is_canonical``; members of one agency-year are ordered canonical first, then by ``report_id``).

Resolution (:func:`resolve_ambiguous`): a part the parser left ambiguous (``"t2.rules": [candidates…]``) is
settled by another copy of the same agency-year that reads it without ambiguity and agrees with exactly one
candidate (``resolved_by = "X.S10 with 2019 duplicate report <id>"``: the HTML page of a scraped text), else
when exactly one candidate satisfies the cross-year identity with every available neighbour of the same
agency (y−1 and/or y+1): T2.S2 for gov2021 ``t2.<item>`` with ``in_force``; T2.S3 for gov2019 ``t2.<item>``
with ``items_prev_year``/``items_change``; X.S1 for ``t3.carried_in`` (against y−1) and ``t3.carried_out``
(against y+1). A neighbour's part that is itself still ambiguous is not used; resolution repeats until nothing
changes, so a chain of years can settle one another. Other parts (other t3 rows, ``t4``) have no cross-year
identity and stay ambiguous.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict

from dagster_project.lib.parsing.template import C7

SEVERITY = "warn"
IN_FORCE_ITEMS = ("rules", "normative_docs")
ITEMS_2019 = ("licensing", "other_external_services", "penalty", "coercion", "admin_fees")
OUTLIER_RATIO = 10
OUTLIER_BASE = 20
DIGITS_JUMP = 2
MAX_DIFF_CELLS = 10
_SKIP_STATUS = {"unreadable", "not_a_report"}


def _num(v):
    """A usable number, or None for blanks / non-numbers / NaN."""
    if type(v) is int:  # the common case first: this runs for every cell of every report
        return v
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return None if isinstance(v, float) and math.isnan(v) else v
    return None


def _row(rep: dict, check_id: str, cells: list[str], expected, actual, message: str) -> dict:
    return {
        "report_id": rep["report_id"],
        "report_year": rep["report_year"],
        "check_id": check_id,
        "severity": SEVERITY,
        "cells": cells,
        "expected": expected,
        "actual": actual,
        "message": message,
    }


def _prepared(reports: list[dict]) -> list[dict]:
    """Copies of the usable reports (their tables and ambiguous map copied, so the callers' dicts never change:
    values are scalars, candidates are only read)."""
    out = []
    for rep in reports:
        if rep.get("status") in _SKIP_STATUS or rep.get("report_year") is None or not rep.get("agency_id"):
            continue
        r = dict(rep)
        r["report_year"] = int(r["report_year"])
        for t in ("t2", "t3", "t4"):
            r[t] = dict(r.get(t) or {})
        r["ambiguous"] = dict(r.get("ambiguous") or {})
        out.append(r)
    return out


def _groups(reports: list[dict]) -> dict[tuple[str, int], list[dict]]:
    """(agency_id, year) → its reports, the canonical one first (then by report_id)."""
    g: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for rep in reports:
        g[(rep["agency_id"], rep["report_year"])].append(rep)
    for key in g:
        g[key].sort(key=lambda r: (0 if r.get("is_canonical") else 1, str(r["report_id"])))
    return g


# ------------------------------------------------------------------ resolution of ambiguous parts
def _t2_in_force_ok(item: str, cand: dict, this: dict, prev: dict | None, nxt: dict | None) -> bool | None:
    """T2.S2 for a candidate reading of ``t2.<item>``; None when no neighbour can judge it."""
    verdicts = []
    v = {**this, **cand}
    if prev is not None:
        p = _num(prev["t2"].get(f"{item}__in_force"))
        i, r, f = (_num(v.get(f"{item}__{m}")) for m in ("issued", "repealed", "in_force"))
        if None not in (p, i, r, f):
            verdicts.append(f == p + i - r)
    if nxt is not None:
        ni, nr, nf = (_num(nxt["t2"].get(f"{item}__{m}")) for m in ("issued", "repealed", "in_force"))
        f = _num(v.get(f"{item}__in_force"))
        if None not in (ni, nr, nf, f):
            verdicts.append(nf == f + ni - nr)
    return all(verdicts) if verdicts else None


def _t2_items_ok(item: str, cand: dict, this: dict, prev: dict | None, nxt: dict | None) -> bool | None:
    """T2.S3 (gov2019) for a candidate reading of ``t2.<item>``."""
    verdicts = []
    v = {**this, **cand}
    if prev is not None:
        pp, pc = _num(prev["t2"].get(f"{item}__items_prev_year")), _num(prev["t2"].get(f"{item}__items_change"))
        cp = _num(v.get(f"{item}__items_prev_year"))
        if None not in (pp, pc, cp):
            verdicts.append(cp == pp + pc)
    if nxt is not None:
        np_ = _num(nxt["t2"].get(f"{item}__items_prev_year"))
        cp, cc = _num(v.get(f"{item}__items_prev_year")), _num(v.get(f"{item}__items_change"))
        if None not in (np_, cp, cc):
            verdicts.append(np_ == cp + cc)
    return all(verdicts) if verdicts else None


def _t3_carry_ok(row: str, cand: dict, prev: dict | None, nxt: dict | None) -> bool | None:
    """X.S1 for a candidate reading of ``t3.carried_in`` (vs y−1) or ``t3.carried_out`` (vs y+1)."""
    verdicts = []
    if row == "carried_in" and prev is not None:
        for c in C7:
            a, b = _num(cand.get(f"carried_in__{c}")), _num(prev["t3"].get(f"carried_out__{c}"))
            if a is not None and b is not None:
                verdicts.append(a == b)
    if row == "carried_out" and nxt is not None:
        for c in C7:
            a, b = _num(cand.get(f"carried_out__{c}")), _num(nxt["t3"].get(f"carried_in__{c}"))
            if a is not None and b is not None:
                verdicts.append(a == b)
    return all(verdicts) if verdicts else None


def _judge(part: str, cand: dict, rep: dict, prev: dict | None, nxt: dict | None) -> tuple[bool | None, str]:
    table, _, name = part.partition(".")
    if table == "t2":
        if any(k.endswith("__in_force") for k in cand):
            return _t2_in_force_ok(name, cand, rep["t2"], prev, nxt), "T2.S2"
        if any(k.endswith("__items_prev_year") or k.endswith("__items_change") for k in cand):
            return _t2_items_ok(name, cand, rep["t2"], prev, nxt), "T2.S3"
    if table == "t3" and name in ("carried_in", "carried_out"):
        return _t3_carry_ok(name, cand, prev, nxt), "X.S1"
    return None, ""


def _settled(rep: dict | None, part: str) -> dict | None:
    """The neighbour report, if its own reading of ``part`` is settled (not ambiguous)."""
    if rep is None or part in rep["ambiguous"]:
        return None
    return rep


def _by_duplicate(part: str, cands: list[dict], rep: dict, group: list[dict]) -> tuple[int, str] | None:
    """Another copy of the same agency-year (the HTML page of a scraped text, say) that reads the part without
    ambiguity and agrees with exactly one candidate settles it."""
    table = part.partition(".")[0]
    for other in group:
        if other is rep or part in other["ambiguous"]:
            continue
        same = [i for i, c in enumerate(cands)
                if c and all(_num(other[table].get(k)) == _num(v) and _num(v) is not None for k, v in c.items())]
        if len(same) == 1:
            return same[0], f"X.S10 with {other['report_year']} duplicate report {other['report_id']}"
    return None


def _by_neighbours(part: str, cands: list[dict], rep: dict, canon: dict) -> tuple[int, str] | None:
    """The one candidate that satisfies the cross-year identity with every settled neighbour year."""
    aid, y = rep["agency_id"], rep["report_year"]
    prev = _settled(canon.get((aid, y - 1)), part)
    nxt = _settled(canon.get((aid, y + 1)), part)
    if prev is None and nxt is None:
        return None
    verdicts = [_judge(part, c, rep, prev, nxt) for c in cands]
    rule = next((r for _, r in verdicts if r), "")
    ok = [i for i, (v, _) in enumerate(verdicts) if v is True]
    if not rule or len(ok) != 1 or any(v is None for v, _ in verdicts):
        return None
    used = [f"{n['report_year']} report {n['report_id']}" for n in (prev, nxt) if n is not None]
    return ok[0], f"{rule} with " + " and ".join(used)


def _resolve_in_place(reports: list[dict]) -> list[dict]:
    groups = _groups(reports)
    canon = {k: v[0] for k, v in groups.items()}
    resolutions: list[dict] = []
    progress = True
    while progress:
        progress = False
        for rep in reports:
            for part, cands in list(rep["ambiguous"].items()):
                if not cands:
                    continue
                group = groups[(rep["agency_id"], rep["report_year"])]
                found = _by_duplicate(part, cands, rep, group) or _by_neighbours(part, cands, rep, canon)
                if found is None:
                    continue
                idx, how = found
                chosen = cands[idx]
                rep[part.partition(".")[0]].update(chosen)
                del rep["ambiguous"][part]
                resolutions.append(
                    {
                        "report_id": rep["report_id"],
                        "agency_id": rep["agency_id"],
                        "report_year": rep["report_year"],
                        "part": part,
                        "values": dict(chosen),
                        "candidate_index": idx,
                        "preferred": dict(cands[0]),
                        "changed": idx != 0,
                        "n_candidates": len(cands),
                        "resolved_by": how,
                    }
                )
                progress = True
    return resolutions


def resolve_ambiguous(reports: list[dict]) -> tuple[list[dict], list[dict]]:
    """Settle ambiguous parts by the neighbouring years.

    Returns (copies of the usable reports with resolved values written into ``t2``/``t3`` and the resolved
    parts removed from ``ambiguous``, resolution records). A record holds ``report_id, agency_id, report_year,
    part, values`` (the chosen reading), ``candidate_index``, ``preferred`` (the parser's first reading),
    ``changed``, ``n_candidates`` and ``resolved_by`` (e.g. ``"T2.S2 with 2022 report 3f2a…"``).
    """
    reps = _prepared(reports)
    return reps, _resolve_in_place(reps)


def apply_resolutions(report: dict, resolutions: list[dict]) -> dict:
    """A copy of one report with the resolutions that concern it applied (values written, part no longer
    ambiguous, ``resolved`` map part → resolved_by added)."""
    out = copy.deepcopy(report)
    out["ambiguous"] = dict(out.get("ambiguous") or {})
    out.setdefault("resolved", {})
    for res in resolutions:
        if res["report_id"] != report.get("report_id"):
            continue
        table = res["part"].partition(".")[0]
        out[table] = {**(out.get(table) or {}), **res["values"]}
        out["ambiguous"].pop(res["part"], None)
        out["resolved"][res["part"]] = res["resolved_by"]
    return out


# ------------------------------------------------------------------ checks
def _carry_over(canon: dict, key, rep: dict) -> list[dict]:
    aid, y = key
    prev = canon.get((aid, y - 1))
    if prev is None or y <= 2019:
        return []
    rows = []
    for c in C7:
        cur, before = _num(rep["t3"].get(f"carried_in__{c}")), _num(prev["t3"].get(f"carried_out__{c}"))
        if cur is None or before is None or cur == before:
            continue
        rows.append(
            _row(rep, "X.S1", [f"carried_in__{c}"], before, cur,
                 f"carried_in[{c}] = {cur}, but the {y - 1} report {prev['report_id']} carried out {before}")
        )
    return rows


def _in_force(canon: dict, key, rep: dict) -> list[dict]:
    aid, y = key
    prev = canon.get((aid, y - 1))
    if prev is None:
        return []
    rows = []
    for item in IN_FORCE_ITEMS:
        i, r, f = (_num(rep["t2"].get(f"{item}__{m}")) for m in ("issued", "repealed", "in_force"))
        p = _num(prev["t2"].get(f"{item}__in_force"))
        if None in (i, r, f, p):
            continue
        expected = p + i - r
        if f == expected:
            continue
        note = " (this part is ambiguous; the preferred reading was checked)" if f"t2.{item}" in rep["ambiguous"] else ""
        rows.append(
            _row(rep, "T2.S2", [f"{item}__in_force", f"{item}__issued", f"{item}__repealed"], expected, f,
                 f"{item}: in_force {f} ≠ {p} in force in the {y - 1} report {prev['report_id']} + {i} issued − "
                 f"{r} repealed = {expected}{note}")
        )
    return rows


def _items_chain(canon: dict, key, rep: dict) -> list[dict]:
    aid, y = key
    prev = canon.get((aid, y - 1))
    if prev is None:
        return []
    rows = []
    for item in ITEMS_2019:
        cur = _num(rep["t2"].get(f"{item}__items_prev_year"))
        pp, pc = _num(prev["t2"].get(f"{item}__items_prev_year")), _num(prev["t2"].get(f"{item}__items_change"))
        if None in (cur, pp, pc) or cur == pp + pc:
            continue
        rows.append(
            _row(rep, "T2.S3", [f"{item}__items_prev_year"], pp + pc, cur,
                 f"{item}: items_prev_year {cur} ≠ {pp} + {pc} from the {y - 1} report {prev['report_id']}")
        )
    return rows


def _digits(v) -> int:
    return len(str(int(abs(v))))


def _outliers(canon: dict, key, rep: dict, history: dict) -> list[dict]:
    aid, y = key
    rows = []
    prev = canon.get((aid, y - 1))
    if prev is not None:
        cur, base = _num(rep["t3"].get("received_new__total")), _num(prev["t3"].get("received_new__total"))
        if cur is not None and base is not None and base >= OUTLIER_BASE and (
            cur > OUTLIER_RATIO * base or cur * OUTLIER_RATIO < base
        ):
            rows.append(
                _row(rep, "X.S8", ["received_new__total"], base, cur,
                     f"received_new.total {base} → {cur} ({cur / base:.1f}×) against the {y - 1} report "
                     f"{prev['report_id']}: more than a {OUTLIER_RATIO}× change")
            )
    earlier = history.get(aid, {})
    for table in ("t2", "t3", "t4"):
        for cell, v in rep[table].items():
            if not (type(v) is int and v >= 100):  # only whole numbers of 3+ digits can jump 2 digits
                v = _num(v)
                if v is None or v < 100 or v != int(v):
                    continue
            hist = [h for yy, h in earlier.get((table, cell), []) if yy < y]
            if not hist:
                continue
            top = max(hist)
            if _digits(v) >= _digits(top) + DIGITS_JUMP:
                rows.append(
                    _row(rep, "X.S8", [cell], top, v,
                         f"{cell} = {v} has {_digits(v)} digits; this agency's earlier maximum is {top}: "
                         f"likely a split error")
                )
    return rows


def _duplicates(groups: dict) -> list[dict]:
    rows = []
    for (_aid, y), reps in groups.items():
        if len(reps) < 2:
            continue
        canon = reps[0]
        for other in reps[1:]:
            diffs = []
            for table in ("t2", "t3", "t4"):
                for cell in sorted(set(canon[table]) | set(other[table])):
                    a, b = _num(canon[table].get(cell)), _num(other[table].get(cell))
                    if a != b:
                        diffs.append((cell, a, b))
            if not diffs:
                continue
            # one warning on each copy, naming the differing cells (the first MAX_DIFF_CELLS)
            shown = diffs[:MAX_DIFF_CELLS]
            cells = [c for c, _, _ in shown]
            listed = ", ".join(f"{c} {b} vs {a}" for c, a, b in shown)
            more = f" (+{len(diffs) - len(shown)} more cells)" if len(diffs) > len(shown) else ""
            first_a, first_b = shown[0][1], shown[0][2]
            rows.append(_row(other, "X.S10", cells, first_a, first_b,
                             f"duplicate of {canon['report_id']} (canonical) for the same agency and year {y}; "
                             f"{len(diffs)} cells differ (here vs there): {listed}{more}"))
            rows.append(_row(canon, "X.S10", cells, first_b, first_a,
                             f"duplicate {other['report_id']} for the same agency and year {y}; {len(diffs)} cells "
                             f"differ (there vs here): {listed}{more}"))
    return rows


def cross_report_checks(reports: list[dict]) -> tuple[list[dict], list[dict]]:
    """Resolve ambiguous parts by neighbouring years, then run X.S1, T2.S2, T2.S3, X.S8 and X.S10.

    Returns (check rows, resolutions); see the module docstring. The checks see the resolved values.
    """
    reps, resolutions = resolve_ambiguous(reports)
    groups = _groups(reps)
    canon = {k: v[0] for k, v in groups.items()}
    history: dict[str, dict[tuple[str, str], list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for (aid, y), rep in canon.items():
        for table in ("t2", "t3", "t4"):
            for cell, v in rep[table].items():
                v = _num(v)
                if v is not None:
                    history[aid][(table, cell)].append((y, v))
    rows = _duplicates(groups)
    for key in sorted(canon):
        rep = canon[key]
        rows += _carry_over(canon, key, rep)
        rows += _in_force(canon, key, rep)
        rows += _items_chain(canon, key, rep)
        rows += _outliers(canon, key, rep, history)
    return rows, resolutions
