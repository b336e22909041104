"""In-report checks: the template's invariants (domain.md §3) as check objects.

Each check is a plain dict (CONTRACT §3 ``checks``): ``check_id``, ``severity`` (``error`` for
hard invariants, ``warn`` for soft ones), ``cells`` (flat cell codes), ``expected``, ``actual``
and ``message``. Values are never changed here: a broken report keeps its numbers and gets
error checks, plus a one-cell ``suggested_repair`` when exactly one change fixes everything.
"""

from __future__ import annotations

import itertools
import re

from .template import C7, COLUMN_LABEL, LEAVES, PROCEEDINGS, RESULTS, SUBTOTALS, T3_ROWS, t2_items

__all__ = ["run_checks", "hard_checks", "suggest_repair", "narrative_checks"]

_ROW_LABEL = {v: {r.code: (r.prefix + r.label) for r in rows} for v, rows in T3_ROWS.items()}
_ROW_LABEL_ANY = {**_ROW_LABEL["gov2021"], **_ROW_LABEL["gov2019"]}


def _check(check_id: str, severity: str, cells: list[str], expected, actual, message: str) -> dict:
    return {"check_id": check_id, "severity": severity, "cells": cells, "expected": expected,
            "actual": actual, "message": message}


def _is_count(v) -> bool:
    return type(v) is int and v >= 0 or isinstance(v, int) and not isinstance(v, bool) and v >= 0


_T3_KEYS = {v: [[f"{r.code}__{c}" for c in C7] for r in rows] for v, rows in T3_ROWS.items()}
_T3_ROWIDX = {v: {r.code: i for i, r in enumerate(rows)} for v, rows in T3_ROWS.items()}


_T3_ROW_CODES = {v: [r.code for r in rows] for v, rows in T3_ROWS.items()}
_RECEIVED_KEYS = tuple(f"received_new__{c}" for c in C7)  # the columns a table 三 has
_INT_ONLY = {int}
# printed subtotal rows (T3.H4): (subtotal code, its sub-rows, its keys by column)
_T3_SUBTOTALS = {v: [(sub, parts, [f"{sub}__{c}" for c in C7]) for sub, parts in SUBTOTALS[v].items()
                     if sub not in _T3_ROWIDX[v]]  # gov2019 other_total is a leaf, not a subtotal
                 for v in T3_ROWS}


def _t3_h5(rows: list[str], cols: list[str], grid_raw: list[list], out: list[dict]) -> list[list[int | None]]:
    """T3.H5 cell by cell: the grid with every cell that is not an integer ≥ 0 made None."""
    grid: list[list[int | None]] = []
    for r, vals in zip(rows, grid_raw):
        row = []
        for c, v in zip(cols, vals):
            if v is None:
                row.append(None)
            elif type(v) is int and v >= 0:
                row.append(v)
            else:
                row.append(None)
                out.append(_check("T3.H5", "error", [f"{r}__{c}"], "integer ≥ 0", v,
                                  f"T3.H5 {r}__{c}: {v!r} is not a non-negative integer"))
        grid.append(row)
    return grid


def t3_checks(t3: dict, version: str) -> list[dict]:
    """T3.H1–H5 on a table 三 (flat dict; missing columns are skipped)."""
    out: list[dict] = []
    rows = _T3_ROW_CODES[version]
    ridx = _T3_ROWIDX[version]
    get = t3.get
    if all(k in t3 for k in _RECEIVED_KEYS):
        colidx = range(len(C7))
        cols = list(C7)
        grid_raw = [list(map(get, keys)) for keys in _T3_KEYS[version]]
    else:
        colidx = [j for j, c in enumerate(C7) if f"received_new__{c}" in t3]
        cols = [C7[j] for j in colidx]
        grid_raw = [[get(keys[j]) for j in colidx] for keys in _T3_KEYS[version]]
    # T3.H5 first: arithmetic below only uses integer cells
    every = list(itertools.chain.from_iterable(grid_raw))
    if every and set(map(type, every)) == _INT_ONLY and min(every) >= 0:
        grid = grid_raw  # the common case, checked in C: every cell a non-negative int
    else:
        grid = _t3_h5(rows, cols, grid_raw, out)
    rn, ci, ot, co = (grid[ridx[x]] for x in ("received_new", "carried_in", "outcome_total", "carried_out"))

    # T3.H1 column balance
    for j, c in enumerate(cols):
        a, b, o, d = rn[j], ci[j], ot[j], co[j]
        if a is None or b is None or o is None or d is None:
            continue
        if a + b != o + d:
            out.append(_check(
                "T3.H1", "error",
                [f"received_new__{c}", f"carried_in__{c}", f"outcome_total__{c}", f"carried_out__{c}"],
                a + b, o + d,
                f"T3.H1 {c}: 一+二 = {a}+{b} = {a + b}, but 三(七)总计+四 = {o}+{d} = {o + d} ({COLUMN_LABEL[c]})"))
    # T3.H2 row totals
    if cols and cols[-1] == "total":
        for r, vals in zip(rows, grid):
            tot = vals[-1]
            parts = vals[:-1]
            if tot is None or None in parts:
                continue
            s = sum(parts)
            if s != tot:
                out.append(_check(
                    "T3.H2", "error", [f"{r}__total"], s, tot,
                    f"T3.H2 {r}: {'+'.join(map(str, parts))} = {s}, but 总计 says {tot} ({_ROW_LABEL_ANY.get(r, r)})"))
    # T3.H3 outcome totals
    leaf_cols = list(zip(*(grid[ridx[x]] for x in LEAVES[version])))
    for j, c in enumerate(cols):
        tot = ot[j]
        if tot is None:
            continue
        col = leaf_cols[j] if leaf_cols else ()
        if None in col:
            continue
        s = sum(col)
        if s != tot:
            out.append(_check(
                "T3.H3", "error", [f"outcome_total__{c}"], s, tot,
                f"T3.H3 {c}: outcome leaves sum to {s}, but (七)总计 says {tot} ({COLUMN_LABEL[c]})"))
    # T3.H4 printed subtotals (only when a report prints them as extra keys)
    for sub, parts_rows, keys in _T3_SUBTOTALS[version]:
        if t3.keys().isdisjoint(keys):
            continue  # not printed (the parser never returns subtotal rows)
        for j, c in zip(colidx, cols):
            printed = get(keys[j])
            if not _is_count(printed):
                continue
            vals = [grid[ridx[x]][cols.index(c)] for x in parts_rows]
            if None in vals:
                continue
            if sum(vals) != printed:
                out.append(_check("T3.H4", "error", [f"{sub}__{c}"], sum(vals), printed,
                                  f"T3.H4 {sub} {c}: sub-rows sum to {sum(vals)}, but the printed subtotal is {printed}"))
    return out


# table 四 per proceeding: (code, label, keys of the four results, key of the total)
_T4_BLOCKS = tuple((p, plabel, tuple(f"{p}__{r}" for r, _ in RESULTS[:4]), f"{p}__total") for p, plabel in PROCEEDINGS)


def t4_checks(t4: dict) -> list[dict]:
    """T4.H1 block totals and T4.H2 non-negative integers."""
    out: list[dict] = []
    for key, v in t4.items():
        if v is not None and not _is_count(v):
            out.append(_check("T4.H2", "error", [key], "integer ≥ 0", v, f"T4.H2 {key}: {v!r} is not a non-negative integer"))
    get = t4.get
    for p, plabel, keys, total_key in _T4_BLOCKS:
        vals = list(map(get, keys))
        tot = get(total_key)
        if not all(_is_count(v) for v in vals) or not _is_count(tot):
            continue
        if sum(vals) != tot:
            out.append(_check(
                "T4.H1", "error", [f"{p}__total"], sum(vals), tot,
                f"T4.H1 {p}: {'+'.join(map(str, vals))} = {sum(vals)}, but 总计 says {tot} ({plabel})"))
    return out


def t2_checks(t2: dict, version: str) -> list[dict]:
    """T2.H1–H3 (hard) and T2.S1 / T2.S4 (soft, in-report)."""
    out: list[dict] = []
    for block, item in t2_items(version):
        for m in block.measures:
            key = f"{item.code}__{m.code}"
            v = t2.get(key)
            if v is None:
                continue
            if m.kind == "count" and not _is_count(v):
                out.append(_check("T2.H1", "error", [key], "integer ≥ 0", v, f"T2.H1 {key}: {v!r} is not a non-negative integer"))
            elif m.kind == "signed" and not (isinstance(v, int) and not isinstance(v, bool)):
                out.append(_check("T2.H1", "error", [key], "integer", v, f"T2.H1 {key}: {v!r} is not an integer"))
            elif m.kind in ("decimal", "money") and (not isinstance(v, (int, float)) or v < 0):
                cid = "T2.H2" if m.kind == "decimal" else "T2.H1"
                out.append(_check(cid, "error", [key], "number ≥ 0", v, f"{cid} {key}: {v!r} is not a number ≥ 0"))
        if version == "gov2019" and any(m.code == "items_change" for m in block.measures):
            prev, chg = t2.get(f"{item.code}__items_prev_year"), t2.get(f"{item.code}__items_change")
            if isinstance(prev, int) and isinstance(chg, int) and prev + chg < 0:
                out.append(_check("T2.H3", "error", [f"{item.code}__items_prev_year", f"{item.code}__items_change"],
                                  "≥ 0", prev + chg, f"T2.H3 {item.code}: {prev}{chg:+d} items is negative"))
    out.extend(t2_soft(t2, version))
    return out


_SOFT_MEASURES = {"gov2021": ("issued", "repealed", "in_force"),
                  "gov2019": ("newly_made", "newly_published", "published_total")}


def t2_soft_broken(vals: tuple, version: str) -> bool:
    """Whether a 规章 / 规范性文件 row breaks its soft check: T2.S1 (gov2021: in_force ≥ issued − repealed)
    or T2.S4 (gov2019: newly_published ≤ published_total). Rows with a non-count cell are not judged."""
    if len(vals) != 3 or not all(_is_count(v) for v in vals):
        return False
    a, b, c = vals
    return c < a - b if version == "gov2021" else b > c


def t2_soft(t2: dict, version: str, items: tuple[str, ...] = ("rules", "normative_docs")) -> list[dict]:
    """T2.S1 (gov2021) and T2.S4 (gov2019) as warn checks."""
    out = []
    ms = _SOFT_MEASURES[version]
    for it in items:
        vals = tuple(t2.get(f"{it}__{m}") for m in ms)
        if not t2_soft_broken(vals, version):
            continue
        a, b, c = vals
        if version == "gov2021":
            out.append(_check("T2.S1", "warn", [f"{it}__in_force"], f"≥ {a - b}", c,
                              f"T2.S1 {it}: in force {c} < issued {a} − repealed {b}"))
        else:
            out.append(_check("T2.S4", "warn", [f"{it}__newly_published"], f"≤ {c}", b,
                              f"T2.S4 {it}: newly published {b} > published total {c}"))
    return out


def hard_checks(version: str | None, t2: dict | None, t3: dict | None, t4: dict | None, t2_version: str | None = None) -> list[dict]:
    """Every hard invariant that applies to the tables present."""
    out: list[dict] = []
    if t2 is not None and (t2_version or version):
        out += [c for c in t2_checks(t2, t2_version or version) if c["severity"] == "error"]
    if t3 is not None and version:
        out += t3_checks(t3, version)
    if t4 is not None:
        out += t4_checks(t4)
    return out


# ---------------------------------------------------------------- narrative (X.S2, X.S3)
_NUM = r"(\d{1,7})"
_RECEIVED = re.compile(r"共(?:收到|受理|接收|新收|办理)[^。;,\n]{0,30}?申请[^。;\n]{0,12}?" + _NUM + r"\s*件")
_RECEIVED2 = re.compile(r"(?:收到|受理|接收)[^。;\n]{0,20}?申请(?:共计|共|合计)\s*" + _NUM + r"\s*件")
_ANSWERED = re.compile(r"(?:办结|答复)[^。;,\n]{0,12}?" + _NUM + r"\s*件")
_REVIEW = re.compile(r"行政复议(?:案件)?\s*" + _NUM + r"\s*(?:件|起)")
# "(行政)诉讼 N 件", not after 复议 (复议后起诉 is counted apart). The pattern starts with its
# literal so the regex engine can skip ahead; the 复议 look-behind is checked on each hit (a
# leading "(?<!复议)(?:行政)?" made every search try every position of the text)
_LITIG = re.compile(r"诉讼(?:案件)?\s*" + _NUM + r"\s*(?:件|起)")


def _litigation_mention(text: str) -> re.Match | None:
    for m in _LITIG.finditer(text):
        if text[max(0, m.start() - 2): m.start()] != "复议":
            return m
    return None
_CHANNEL = re.compile(r"(当面|信函|邮寄|网络|网上|电子邮箱|电子邮件|传真|电话)[^0-9。;,\n]{0,6}?" + _NUM + r"\s*件")


def _search_from(pattern: re.Pattern, text: str, heads: tuple[str, ...]) -> re.Match | None:
    """``pattern.search(text)`` for a pattern that must start with one of ``heads``: the pattern
    is tried only where a head occurs, leftmost first (str.find finds them far faster than the
    regex engine scans a report)."""
    starts = []
    for h in heads:
        i = text.find(h)
        while i >= 0:
            starts.append(i)
            i = text.find(h, i + 1)
    for i in sorted(starts):
        m = pattern.match(text, i)
        if m:
            return m
    return None


def narrative_checks(text: str, t3: dict | None, t4: dict | None) -> list[dict]:
    """X.S2 narrative totals and X.S3 partial breakdowns (soft: narratives are often loose)."""
    out: list[dict] = []
    if t3:
        rn, ci, ot = t3.get("received_new__total"), t3.get("carried_in__total"), t3.get("outcome_total__total")
        m = _RECEIVED.search(text) or _search_from(_RECEIVED2, text, ("收到", "受理", "接收"))
        if m and isinstance(rn, int):
            n = int(m.group(1))
            ok = n == rn or (isinstance(ci, int) and n == rn + ci)
            if not ok:
                out.append(_check("X.S2", "warn", ["received_new__total"], rn, n,
                                  f"X.S2 narrative says {n} requests received (“{m.group(0)[:40]}”), table 三 says {rn}"))
            # X.S3: channel breakdown in the sentences right after the total
            window = text[m.end(): m.end() + 200]
            parts = [(ch, int(v)) for ch, v in _CHANNEL.findall(window)]
            if len(parts) >= 2:
                s = sum(v for _, v in parts)
                if s < n:
                    out.append(_check("X.S3", "warn", ["received_new__total"], n, s,
                                      f"X.S3 partial breakdown: {' + '.join(f'{c} {v}' for c, v in parts)} = {s} < {n}"))
                elif s > n:
                    out.append(_check("X.S3", "warn", ["received_new__total"], n, s,
                                      f"X.S3 breakdown {s} exceeds the narrative total {n}"))
        m = _search_from(_ANSWERED, text, ("办结", "答复"))
        if m and isinstance(ot, int) and int(m.group(1)) != ot and not (isinstance(rn, int) and int(m.group(1)) == rn):
            out.append(_check("X.S2", "warn", ["outcome_total__total"], ot, int(m.group(1)),
                              f"X.S2 narrative says {m.group(1)} handled (“{m.group(0)[:30]}”), table 三 (七)总计 says {ot}"))
    if t4:
        m = _REVIEW.search(text)
        rv = t4.get("admin_review__total")
        if m and isinstance(rv, int) and int(m.group(1)) != rv:
            out.append(_check("X.S2", "warn", ["admin_review__total"], rv, int(m.group(1)),
                              f"X.S2 narrative says {m.group(1)} reconsiderations, table 四 says {rv}"))
        m = _litigation_mention(text)
        ld, la = t4.get("litigation_direct__total"), t4.get("litigation_after_review__total")
        if m and isinstance(ld, int) and isinstance(la, int) and int(m.group(1)) not in (ld + la, ld):
            out.append(_check("X.S2", "warn", ["litigation_direct__total", "litigation_after_review__total"], ld + la,
                              int(m.group(1)), f"X.S2 narrative says {m.group(1)} lawsuits, table 四 says {ld + la}"))
    return out


# ---------------------------------------------------------------- repair
def suggest_repair(version: str | None, t2: dict | None, t3: dict | None, t4: dict | None,
                   errors: list[dict], t2_version: str | None = None) -> dict | None:
    """The one cell whose change makes every hard check pass, when exactly one such change exists."""
    if not errors or any(e["check_id"] in ("T3.H5", "T4.H2", "T2.H1", "T2.H2", "T2.H3") for e in errors):
        return None
    deltas = {abs(e["expected"] - e["actual"]) for e in errors
              if isinstance(e["expected"], int) and isinstance(e["actual"], int)}
    deltas.discard(0)
    if not deltas:
        return None
    # a one-cell repair must touch every failing check: intersect their scopes
    candidates: set[str] | None = None
    for e in errors:
        cid, cell = e["check_id"], e["cells"][0]
        scope: set[str] = set()
        if cid == "T3.H2" and t3 is not None:
            row = cell.rsplit("__", 1)[0]
            scope = {k for k in t3 if k.startswith(row + "__")}
        elif cid in ("T3.H1", "T3.H3") and t3 is not None:
            col = cell.rsplit("__", 1)[1]
            rows = ("received_new", "carried_in", "outcome_total", "carried_out") if cid == "T3.H1" else \
                (*LEAVES[version], "outcome_total")
            scope = {f"{r}__{col}" for r in rows if f"{r}__{col}" in t3}
        elif cid == "T4.H1" and t4 is not None:
            p = cell.rsplit("__", 1)[0]
            scope = {k for k in t4 if k.startswith(p + "__")}
        candidates = scope if candidates is None else candidates & scope
    candidates = candidates or set()
    fixes = []
    for cell in sorted(candidates):
        table = t3 if t3 is not None and cell in t3 else t4
        old = table.get(cell)
        if not isinstance(old, int):
            continue
        for d in sorted(deltas):
            for new in (old + d, old - d):
                if new < 0:
                    continue
                table[cell] = new
                try:
                    if not hard_checks(version, None, t3, t4):
                        fixes.append((cell, old, new))
                finally:
                    table[cell] = old
    if len(fixes) != 1:
        return None
    cell, old, new = fixes[0]
    broken = ", ".join(f"{e['check_id']} {e['cells'][0]}" for e in errors)
    return {"cells": {cell: new},
            "message": f"changing {cell} from {old} to {new} (one cell) makes every hard check pass ({broken})"}


def run_checks(version: str | None, t2: dict | None, t3: dict | None, t4: dict | None,
               text: str = "", t2_version: str | None = None,
               t3_consistent: bool = False) -> tuple[list[dict], dict | None]:
    """All in-report checks (hard and soft) and the suggested one-cell repair.

    ``t3_consistent``: the caller (the parser) already knows table 三 passes T3.H1–H5 (every
    cell an integer ≥ 0, every identity holding), so ``t3_checks`` is not run again.
    """
    checks: list[dict] = []
    if t2 is not None and (t2_version or version):
        checks += t2_checks(t2, t2_version or version)
    if t3 is not None and version and not t3_consistent:
        checks += t3_checks(t3, version)
    if t4 is not None:
        checks += t4_checks(t4)
    if text:
        checks += narrative_checks(text, t3, t4)
    errors = [c for c in checks if c["severity"] == "error"]
    repair = suggest_repair(version, t2, t3, t4, errors, t2_version) if errors else None
    return checks, repair
