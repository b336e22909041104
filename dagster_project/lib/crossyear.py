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
from collections.abc import Iterator, Mapping, MutableMapping

import numpy as np

from dagster_project.lib.parsing.template import C7, DECIMAL_KEYS, SUBTOTALS, T2_KIND, T3_ROW_CODES, T4_KEYS

SEVERITY = "warn"
IN_FORCE_ITEMS = ("rules", "normative_docs")
ITEMS_2019 = ("licensing", "other_external_services", "penalty", "coercion", "admin_fees")
OUTLIER_RATIO = 10
OUTLIER_BASE = 20
DIGITS_JUMP = 2
MAX_DIFF_CELLS = 10
_SKIP_STATUS = {"unreadable", "not_a_report"}


# ------------------------------------------------------------------ dense table rows
# Every cell code of each table (both templates), sorted: a report's table is one float row over these slots.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "t2": tuple(sorted(T2_KIND)),
    "t3": tuple(sorted({f"{r}__{c}" for rows in T3_ROW_CODES.values() for r in rows for c in C7}
                       | {f"{sub}__{c}" for subs in SUBTOTALS.values() for sub in subs for c in C7})),
    "t4": tuple(sorted(T4_KEYS)),
}
SLOTS: dict[str, dict[str, int]] = {t: {k: i for i, k in enumerate(keys)} for t, keys in TABLE_KEYS.items()}
_POW10 = 10.0 ** np.arange(0, 19)


def _value(key: str, f: float):
    """A stored float as the number it is: int for whole counts, float for amounts (None for NaN)."""
    if f != f:
        return None
    return int(f) if f.is_integer() and key not in DECIMAL_KEYS else f


class Cells(MutableMapping):
    """One report table as a dense float row over :data:`TABLE_KEYS` (NaN = blank/absent), read and written like
    the ``{cell: value}`` dict of CONTRACT §3. The heavy checks (X.S8, X.S10) compare whole rows at once."""

    __slots__ = ("table", "row")

    def __init__(self, table: str, row: np.ndarray | None = None):
        self.table = table
        self.row = np.full(len(TABLE_KEYS[table]), np.nan) if row is None else row

    @classmethod
    def of(cls, table: str, cells) -> "Cells":
        """A copy of ``cells`` (a Cells or a mapping; blanks, non-numbers and unknown codes are absent)."""
        if isinstance(cells, Cells):
            return cls(table, cells.row.copy())
        out = cls(table)
        slots = SLOTS[table]
        for k, v in (cells or {}).items():
            v = _num(v)
            if v is not None and k in slots:
                out.row[slots[k]] = float(v)
        return out

    def __getitem__(self, key: str):
        i = SLOTS[self.table].get(key)
        v = None if i is None else _value(key, float(self.row[i]))
        if v is None:
            raise KeyError(key)
        return v

    def get(self, key: str, default=None):
        i = SLOTS[self.table].get(key)
        if i is None:
            return default
        v = _value(key, float(self.row[i]))
        return default if v is None else v

    def __setitem__(self, key: str, value) -> None:
        v = _num(value)
        self.row[SLOTS[self.table][key]] = np.nan if v is None else float(v)

    def __delitem__(self, key: str) -> None:
        self.row[SLOTS[self.table][key]] = np.nan

    def __iter__(self) -> Iterator[str]:
        keys = TABLE_KEYS[self.table]
        return (keys[i] for i in np.flatnonzero(~np.isnan(self.row)))

    def __len__(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.row)))

    def __eq__(self, other) -> bool:
        if isinstance(other, Cells):
            return self.table == other.table and bool(np.array_equal(self.row, other.row, equal_nan=True))
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __repr__(self) -> str:
        return f"Cells({self.table}, {dict(self.items())!r})"


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
            r[t] = Cells.of(t, r.get(t))
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
class _Overlay:
    """A candidate reading over the report's own table: the candidate's cells first (no copy of the table)."""

    __slots__ = ("cand", "base")

    def __init__(self, cand: dict, base):
        self.cand, self.base = cand, base

    def get(self, key: str):
        return self.cand[key] if key in self.cand else self.base.get(key)


def _t2_in_force_ok(item: str, cand: dict, this, prev: dict | None, nxt: dict | None) -> bool | None:
    """T2.S2 for a candidate reading of ``t2.<item>``; None when no neighbour can judge it."""
    verdicts = []
    v = _Overlay(cand, this)
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


def _t2_items_ok(item: str, cand: dict, this, prev: dict | None, nxt: dict | None) -> bool | None:
    """T2.S3 (gov2019) for a candidate reading of ``t2.<item>``."""
    verdicts = []
    v = _Overlay(cand, this)
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
    keys = list(dict.fromkeys(k for c in cands for k in c))
    # a candidate agrees when the copy states every cell the candidate gives, with the same value. Candidates
    # normally give the same cells: then a reading is a tuple of floats (None where the candidate has no number,
    # which never equals) compared with the copy's row in one step.
    slots = SLOTS[table]
    uniform = all(c and len(c) == len(keys) for c in cands) and all(k in slots for k in keys)
    if uniform:
        idx = [slots[k] for k in keys]
        readings = [tuple(None if (v := _num(c[k])) is None else float(v) for k in keys) for c in cands]
    for other in group:
        if other is rep or part in other["ambiguous"]:
            continue
        if uniform and isinstance(other[table], Cells):
            theirs = tuple(other[table].row[idx].tolist())
            same = [i for i, mine in enumerate(readings) if mine == theirs]
        else:
            theirs_d = {k: _num(other[table].get(k)) for k in keys}
            same = [i for i, c in enumerate(cands)
                    if c and all(_num(v) is not None and _num(v) == theirs_d[k] for k, v in c.items())]
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
    # pass after pass until nothing more settles. A report's chance depends only on its agency's reports (its
    # agency-year's copies, its neighbour years): a pass retries only the reports of the agencies where the
    # previous pass settled something — the others would fail exactly as before.
    todo = [rep for rep in reports if rep["ambiguous"]]
    while todo:
        settled_in: set[str] = set()
        for rep in todo:
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
                settled_in.add(rep["agency_id"])
        todo = [rep for rep in todo if rep["ambiguous"] and rep["agency_id"] in settled_in] if settled_in else []
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


def _ndigits(a: np.ndarray) -> np.ndarray:
    """Digits of the whole part of each |value| (as ``_digits``), exactly: by comparison with powers of ten."""
    return np.maximum(np.searchsorted(_POW10, np.floor(np.abs(a)), side="right"), 1)


def _ratio_outlier(canon: dict, key, rep: dict) -> list[dict]:
    aid, y = key
    prev = canon.get((aid, y - 1))
    if prev is None:
        return []
    cur, base = _num(rep["t3"].get("received_new__total")), _num(prev["t3"].get("received_new__total"))
    if cur is not None and base is not None and base >= OUTLIER_BASE and (
        cur > OUTLIER_RATIO * base or cur * OUTLIER_RATIO < base
    ):
        return [_row(rep, "X.S8", ["received_new__total"], base, cur,
                     f"received_new.total {base} → {cur} ({cur / base:.1f}×) against the {y - 1} report "
                     f"{prev['report_id']}: more than a {OUTLIER_RATIO}× change")]
    return []


def _digit_jumps(canon: dict) -> dict[tuple[str, int], list[dict]]:
    """X.S8 digit jumps, per canonical report: a whole value ≥ 100 with at least DIGITS_JUMP more digits than
    the largest value of the same cell in the agency's earlier canonical reports. All agencies at once, per table:
    their rows sorted by agency and year, the running maximum of the earlier years built position by position
    (the n-th year of every agency in one step; agencies have few years)."""
    keys = sorted(canon)
    n = len(keys)
    out: dict[tuple[str, int], list[dict]] = defaultdict(list)
    if n < 2:
        return out
    pos = np.zeros(n, dtype=np.int64)  # the row's place among its agency's years (0: the first)
    for i in range(1, n):
        if keys[i][0] == keys[i - 1][0]:
            pos[i] = pos[i - 1] + 1
    later = np.flatnonzero(pos > 0)
    if not len(later):
        return out
    by_pos = [np.flatnonzero(pos == p) for p in range(1, int(pos.max()) + 1)]
    for table in ("t2", "t3", "t4"):
        m = np.vstack([canon[k][table].row for k in keys])
        earlier = np.full_like(m, np.nan)  # max over the agency's earlier years, NaN where none
        for p, rows in enumerate(by_pos, start=1):
            earlier[rows] = m[rows - 1] if p == 1 else np.fmax(earlier[rows - 1], m[rows - 1])
        cur, top = m[later], earlier[later]
        with np.errstate(invalid="ignore"):
            hit = ((cur >= 100) & (cur == np.floor(cur)) & ~np.isnan(top)
                   & (_ndigits(np.nan_to_num(cur)) >= _ndigits(np.nan_to_num(top)) + DIGITS_JUMP))
        for i, j in zip(*np.nonzero(hit)):
            key = keys[later[i]]
            rep, cell = canon[key], TABLE_KEYS[table][j]
            v, t = _value(cell, float(cur[i, j])), _value(cell, float(top[i, j]))
            out[key].append(_row(rep, "X.S8", [cell], t, v,
                                 f"{cell} = {v} has {_digits(v)} digits; this agency's earlier maximum is {t}: "
                                 f"likely a split error"))
    return out


def _differing(a: Cells, b: Cells) -> np.ndarray:
    """Slots where two rows of one table differ (blank = blank), in code order."""
    return np.flatnonzero(~((a.row == b.row) | (np.isnan(a.row) & np.isnan(b.row))))


def _duplicates(groups: dict) -> list[dict]:
    rows = []
    for (_aid, y), reps in groups.items():
        if len(reps) < 2:
            continue
        canon = reps[0]
        for other in reps[1:]:
            slots = [(table, _differing(canon[table], other[table])) for table in ("t2", "t3", "t4")]
            n_diff = sum(len(j) for _, j in slots)
            if not n_diff:
                continue
            # one warning on each copy, naming the differing cells (the first MAX_DIFF_CELLS)
            shown = []
            for table, js in slots:
                for j in js[:MAX_DIFF_CELLS - len(shown)]:
                    key = TABLE_KEYS[table][j]
                    shown.append((key, _value(key, float(canon[table].row[j])),
                                  _value(key, float(other[table].row[j]))))
            cells = [c for c, _, _ in shown]
            listed = ", ".join(f"{c} {b} vs {a}" for c, a, b in shown)
            more = f" (+{n_diff - len(shown)} more cells)" if n_diff > len(shown) else ""
            first_a, first_b = shown[0][1], shown[0][2]
            rows.append(_row(other, "X.S10", cells, first_a, first_b,
                             f"duplicate of {canon['report_id']} (canonical) for the same agency and year {y}; "
                             f"{n_diff} cells differ (here vs there): {listed}{more}"))
            rows.append(_row(canon, "X.S10", cells, first_b, first_a,
                             f"duplicate {other['report_id']} for the same agency and year {y}; {n_diff} cells "
                             f"differ (there vs here): {listed}{more}"))
    return rows


def cross_report_checks(reports: list[dict]) -> tuple[list[dict], list[dict]]:
    """Resolve ambiguous parts by neighbouring years, then run X.S1, T2.S2, T2.S3, X.S8 and X.S10.

    Returns (check rows, resolutions); see the module docstring. The checks see the resolved values. Tables may
    be plain dicts or :class:`Cells`; the reports given are never changed.
    """
    reps, resolutions = resolve_ambiguous(reports)
    groups = _groups(reps)
    canon = {k: v[0] for k, v in groups.items()}
    jumps = _digit_jumps(canon)
    rows = _duplicates(groups)
    for key in sorted(canon):
        rep = canon[key]
        rows += _carry_over(canon, key, rep)
        rows += _in_force(canon, key, rep)
        rows += _items_chain(canon, key, rep)
        rows += _ratio_outlier(canon, key, rep)
        rows += jumps.get(key, [])
    return rows, resolutions
