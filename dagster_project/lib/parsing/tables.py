"""Find tables 二, 三 and 四 in a document's text and read their cells.

Rows are found by their labels (in template order, whitespace-insensitive, tolerant of small
typos), never by line position, so the same code reads every text shape: concatenated cells,
one cell a line, tab/space/pipe separated, and the ``| cell | … |`` lines the HTML and DOCX
readers produce. Each row's value text is cut into groups (``split.segment_groups``) and the
solver picks the table-wide reading with the fewest violated hard invariants.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from dataclasses import dataclass, field

from . import split as sp
from .checks import t2_soft_broken
from .split import Group
from .template import (C7, COLUMN_LABEL, LEAVES, MAX_COUNT, PROCEEDINGS, RESULTS, T2_BLOCKS, T2_SIGNALS, T3_ROWS,
                       T3_SIGNALS_2021, within_bound)

# ---------------------------------------------------------------- compact text
class Compact:
    """The text with whitespace and pipes removed, with a map back to original offsets."""

    def __init__(self, text: str):
        self.text = text
        # chunks: the runs of text between whitespace and pipes. str.split() splits on exactly
        # the whitespace the regex \s matches, and each chunk is found from where the previous
        # one ended (only whitespace lies between them): cheaper than a regex match per chunk
        flat = text.replace("|", " ")
        chunks = flat.split()
        origs: list[int] = []
        add = origs.append
        find = flat.find
        pos = 0
        for ch in chunks:
            pos = find(ch, pos)
            add(pos)
            pos += len(ch)
        self.c = "".join(chunks)
        starts = list(itertools.accumulate(map(len, chunks), initial=0))
        starts.pop()
        self._starts = starts
        self._origs = origs

    def orig(self, i: int) -> int:
        """Original offset of compact index i (i == len → end of text)."""
        if i >= len(self.c):
            return len(self.text)
        j = bisect.bisect_right(self._starts, i) - 1
        return self._origs[j] + (i - self._starts[j])

    def orig_end(self, i: int) -> int:
        """Original offset just after compact index i−1 (an exclusive end)."""
        if i <= 0:
            return 0
        return self.orig(i - 1) + 1

    def find(self, needle: str, start: int = 0, end: int | None = None) -> int:
        return self.c.find(needle, start, len(self.c) if end is None else end)


def find_label(cx: Compact, label: str, start: int, end: int) -> tuple[int, int] | None:
    """(start, end) of a row label in compact text; exact first, then a fragment of it (typos)."""
    i = cx.find(label, start, end)
    if i >= 0:
        return i, i + len(label)
    if len(label) <= 6:
        # a dropped character (styled spans lost in scraping: "政许可" for "行政许可")
        if len(label) < 3:
            return None
        hits = [(j, j + len(label) - 1) for j in (cx.find(label[:i] + label[i + 1:], start, end)
                                                  for i in range(len(label))) if j >= 0]
        return min(hits) if hits else None
    # tolerate typos, dropped characters and labels broken by values (a PDF line wrap):
    # a distinctive head of the label first, extended over as much of the rest as follows it
    for frag_len in (6, 4):
        h = cx.find(label[:frag_len], start, end)
        if h >= 0:
            return h, _extend(cx.c, h + frag_len, label[frag_len:])
    for frag_len in (6, 4):
        tail = label[-frag_len:]
        t = cx.find(tail, start, end)
        if t >= 0:
            return max(start, t - (len(label) - frag_len)), t + frag_len
    return None


def _extend(c: str, pos: int, rest: str) -> int:
    """Walk over label characters that follow (allowing one typo) so they don't pollute values."""
    i, j, miss = pos, 0, 0
    while j < len(rest) and i < len(c):
        if c[i] == rest[j]:
            i += 1
            j += 1
        elif miss < 2:
            miss += 1
            i += 1
            j += 1
        else:
            break
    return i if miss < 2 else pos


# ---------------------------------------------------------------- row value text
_TAIL_NUM = {}
_TAIL_MARKS = frozenset(".、．")


def _strip_next_prefix(raw: str, next_prefix: str | None) -> str:
    """Remove the next row's numbering glued to this row's digits (``…00000002.其他…``)."""
    if not next_prefix:
        return raw
    pat = _TAIL_NUM.get(next_prefix, False)
    if pat is False:  # first time this prefix is seen: a pattern for "N." numbering, else None
        m = re.fullmatch(r"(\d+)\.", next_prefix)
        pat = _TAIL_NUM[next_prefix] = re.compile(m.group(1) + r"\s*[.、．]\s*$") if m else None
    if pat is None:
        return raw
    stripped = raw.rstrip()
    if stripped[-1:] not in _TAIL_MARKS:
        return raw  # the pattern ends in one of these (a cheap test before the regex)
    mm = pat.search(stripped)
    return stripped[: mm.start()] if mm else raw


@dataclass
class RowText:
    code: str
    groups: list[Group]
    explicit: bool
    found: bool = True


# ---------------------------------------------------------------- table 三
@dataclass
class T3Raw:
    version: str
    rows: list[RowText]
    cols: list[str]
    start: int  # compact offsets
    end: int


def locate_t3(cx: Compact) -> T3Raw | None:
    """Find table 三 and each row's value text."""
    c = cx.c
    first = T3_ROWS["gov2021"][0].label
    second = T3_ROWS["gov2021"][1].label
    start = -1
    pos = 0
    while True:
        i = c.find(first, pos)
        if i < 0:
            break
        if c.find(second, i, i + 600) >= 0:
            start = i
            break
        pos = i + 1
    if start < 0:
        return None
    region_end = min(len(c), start + 6000)
    version = "gov2021" if any(c.find(s, start, region_end) >= 0 for s in T3_SIGNALS_2021) else "gov2019"
    rows = T3_ROWS[version]
    spans: list[tuple[int, int] | None] = []
    p = start
    n_c = len(c)
    for r in rows:
        label = r.label
        i = c.find(label, p, min(n_c, p + 1500))  # the exact label (find_label's first try)
        span = (i, i + len(label)) if i >= 0 else find_label(cx, label, p, min(n_c, p + 1500))
        if span is None and r.code == "other_total" and version == "gov2019":
            span = find_label(cx, "其他处理", p, min(len(c), p + 1500))
        spans.append(span)
        if span:
            p = span[1]
    last_end = p
    # end of the last row's text: table 四's header, the next section, or a bound
    stops = [i for i in (c.find("行政复议", last_end, last_end + 800), c.find("五、", last_end, last_end + 800)) if i >= 0]
    table_end = min(stops) if stops else min(len(c), last_end + 400)
    out_rows: list[RowText] = []
    # the next found row after each row (None after the last)
    next_found: list[int | None] = [None] * len(spans)
    nf = None
    for i in range(len(spans) - 1, -1, -1):
        next_found[i] = nf
        if spans[i]:
            nf = i
    text, orig, orig_end, segment = cx.text, cx.orig, cx.orig_end, sp.segment_groups
    for idx, (r, span) in enumerate(zip(rows, spans)):
        if span is None:
            out_rows.append(RowText(r.code, [], False, found=False))
            continue
        nxt = next_found[idx]
        if nxt is not None:
            seg_end_c = spans[nxt][0]
            next_prefix = rows[nxt].prefix
        else:
            seg_end_c, next_prefix = table_end, None
        raw = text[orig_end(span[1]): orig(seg_end_c)]
        if next_prefix:
            raw = _strip_next_prefix(raw, next_prefix)
        groups, explicit = segment(raw)
        out_rows.append(RowText(r.code, groups, explicit))
    # columns: by header text when the header is readable and the rows agree
    header = c[max(0, start - 400): start]
    h0 = header.rfind("申请人情况")
    header = header[h0:] if h0 >= 0 else header[-200:]
    present = [code for code, label in ((cd, COLUMN_LABEL[cd]) for cd in C7) if label in header]
    cols = list(C7)
    if 2 <= len(present) < 7 and "total" in present and "natural_person" in present:
        explicit_rows = [r for r in out_rows if r.explicit and r.found]
        if explicit_rows and sum(len(r.groups) == len(present) for r in explicit_rows) > len(explicit_rows) / 2:
            cols = present
    return T3Raw(version, out_rows, cols, start, table_end)


@dataclass
class Solved:
    values: dict[str, object]
    origin: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, list[dict]] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)  # parse failures (error checks)
    # table 三 only: the values are known to pass T3.H1–H5 (every cell an integer ≥ 0 and the
    # reading's own cost 0), so checks.t3_checks would find nothing
    consistent: bool = False


def _vals(cells: tuple[str, ...], kind: str = "count") -> tuple:
    if kind == "count":
        return sp.count_values(cells)
    return tuple(sp.cell_value(x, kind) for x in cells)


def _direct_row(cells: tuple[str, ...], has_total: bool) -> tuple[str, tuple | None, tuple]:
    """A table 三 row printed one cell a field: (status, values, ((column index, origin), …)).

    status is "ok", "unreadable" (a cell is not a number) or "beyond" (a cell is beyond its
    plausibility bound). Origins are given for the cells not printed as numbers (blank, "-",
    "/"), and a blank 总计 next to filled cells is derived (T3.H2). Memoised: the same rows
    (all zeros, say) recur across reports.
    """
    key = (cells, has_total)
    hit = _DIRECT_ROWS.get(key)
    if hit is not None:
        return hit
    try:
        vals = sp.count_values(cells)
    except ValueError:
        hit = ("unreadable", None, ())
    else:
        if not _in_bounds(vals):
            hit = ("beyond", None, ())
        elif _SYMBOLIC.isdisjoint(cells):
            hit = ("ok", vals, ())
        else:  # blank, "-", "/": not printed as numbers
            origins = [(i, sp.cell_origin(x)) for i, x in enumerate(cells) if x in _SYMBOLIC]
            if has_total and cells[-1] == sp.BLANK and any(x != sp.BLANK for x in cells[:-1]):
                if all(isinstance(v, int) for v in vals[:-1]) and sum(vals[:-1]) <= MAX_COUNT:
                    vals = (*vals[:-1], sum(vals[:-1]))
                    origins[-1] = (len(cells) - 1, "derived")  # the blank total, the last of them
            hit = ("ok", vals, tuple(origins))
    if len(_DIRECT_ROWS) >= 8192:
        _DIRECT_ROWS.clear()
    _DIRECT_ROWS[key] = hit
    return hit


_DIRECT_ROWS: dict[tuple, tuple] = {}


def solve_t3(raw: T3Raw) -> Solved | None:
    """Read table 三: the table-wide reading with the fewest violated hard invariants."""
    version, cols = raw.version, raw.cols
    k = len(cols)
    has_total = cols[-1] == "total"
    res = Solved({})
    if all(r.found and all(g.exact and g.text == sp.BLANK for g in r.groups) for r in raw.rows if r.found):
        return None  # wholly blank template (X.S9)
    cands: dict[str, list[tuple]] = {}  # row → its readings (value tuples), preferred first
    runs_rows: list[RowText] = []
    for r in raw.rows:
        if r.explicit:
            r.groups = sp.fit_fields(r.groups, k)
        if not r.found:
            res.problems.append(_problem("P.T3.ROW", [f"{r.code}__{c}" for c in cols[:1]],
                                         f"table 三 row {r.code} was not found in the text"))
            continue
        # as many groups as cells: each group is one cell (fields, or one cell a line/space)
        direct = len(r.groups) == k and (r.explicit or all(_one_cell(g.text) for g in r.groups))
        if direct:
            cells = tuple(map(_TEXT, r.groups))
            status, vals, origins = _direct_row(cells, has_total)
            if status == "unreadable":
                res.problems.append(_problem("P.T3.CELL", [f"{r.code}__{c}" for c in cols], f"row {r.code}: unreadable cells {cells}"))
                continue
            if status == "beyond":
                res.problems.append(_problem("P.T3.CELL", [f"{r.code}__{c}" for c in cols],
                                             f"row {r.code}: a cell is beyond {MAX_COUNT:,} {cells}"))
                continue
            for i, o in origins:
                res.origin[f"{r.code}__{cols[i]}"] = o
            cands[r.code] = [vals]
            continue
        if not r.groups:
            res.problems.append(_problem("P.T3.SPLIT", [f"{r.code}__{cols[0]}"], f"table 三 row {r.code}: no values"))
            continue
        try:
            splits = sp.total_splits(r.groups, k) if has_total else list(sp.enumerate_splits(r.groups, ["count"] * k, 5000))
        except sp.SearchTooLarge as exc:
            res.problems.append(_problem("P.T3.SPLIT", [f"{r.code}__{c}" for c in cols], f"table 三 row {r.code}: {exc}"))
            continue
        readings: list[tuple] = []
        for s in splits:
            try:
                v = _vals(s)
            except ValueError:
                continue
            if v not in readings:
                readings.append(v)
        cands[r.code] = readings
        runs_rows.append(r)
    groups_of = {r.code: r.groups for r in runs_rows}
    leaves = [x for x in LEAVES[version] if x in cands]

    def cost(assign: dict[str, tuple]) -> int:
        return _t3_cost(assign, cols, leaves, has_total)
    cost.fast = lambda assign, names: _T3Eval(assign, names, cols, leaves, has_total)  # type: ignore[attr-defined]

    assign: dict[str, tuple] = {code: cs[0] for code, cs in cands.items() if cs}
    broken = [code for code, cs in cands.items() if not cs]
    # broken rows: best reading by column checks, given the other rows
    for code in broken:
        sols = _dp_row(code, groups_of[code], assign, cols, leaves)
        if not sols:
            res.problems.append(_problem("P.T3.SPLIT", [f"{code}__{c}" for c in cols],
                                         f"table 三 row {code}: its digits cannot be read as {k} cells within the "
                                         f"plausibility bounds (a count has at most {sp.MAX_COUNT_DIGITS} digits): "
                                         f"the row is left null"))
            continue
        assign[code] = sols[0]
        cands[code] = sols
    uncertain = [code for code, cs in cands.items() if len(cs) > 1]
    best_assigns = _search(assign, {u: cands[u] for u in uncertain}, cost)
    assign = best_assigns[0]
    # a row that admits a sum-consistent but wrong reading: try its best column reading
    improved = True
    rounds = 0
    consistent = False
    while improved and rounds < 3:
        if cost(assign) == 0:
            consistent = True
            break
        improved = False
        rounds += 1
        for code in groups_of:
            if sum(1 if g.exact else len(g.text) for g in groups_of[code]) <= k:
                continue  # one digit a cell: there is no other reading
            sols = _dp_row(code, groups_of[code], assign, cols, leaves)
            for s in sols[:1]:
                trial = dict(assign, **{code: s})
                if cost(trial) < cost(assign):
                    assign = trial
                    if s not in cands[code]:
                        cands[code].append(s)
                    improved = True
        if improved:
            uncertain = [code for code, cs in cands.items() if len(cs) > 1]
            best_assigns = _search(assign, {u: cands[u] for u in uncertain}, cost)
            assign = best_assigns[0]
    for code in uncertain:
        readings = []
        for a in best_assigns:
            if a[code] not in readings:
                readings.append(a[code])
        if len(readings) > 1:
            res.ambiguous[f"t3.{code}"] = [{f"{code}__{c}": v for c, v in zip(cols, vals)} for vals in readings]
    if consistent and not res.problems and assign:
        cells = list(itertools.chain.from_iterable(assign.values()))
        res.consistent = bool(cells) and set(map(type, cells)) == {int} and min(cells) >= 0
    # every template row and column in printed order; None where not read or not printed
    full = len(cols) == len(C7)
    for r, keys in zip(T3_ROWS[version], _T3_ROW_KEYS[version]):
        got = assign.get(r.code)
        if got is not None and full:
            res.values.update(zip(keys, got))
        else:
            vals = dict(zip(cols, got)) if got is not None else {}
            for c, key in zip(C7, keys):
                res.values[key] = vals.get(c)
    return res


# flat cell keys of each table 三 row, in column order
_T3_ROW_KEYS = {v: [[f"{r.code}__{c}" for c in C7] for r in rows] for v, rows in T3_ROWS.items()}


_SYMBOLIC = frozenset((sp.BLANK, "-", "/"))  # cells whose value_origin is not "printed"
_TEXT = operator.itemgetter(0)  # Group.text
_ONE_CELL = re.compile(r"^(?:0|[1-9]\d{0,%d}|-|/|)$" % (sp.MAX_COUNT_DIGITS - 1))  # a count within its bound


def _one_cell(text: str) -> bool:
    """Whether a run group is plainly one count cell (a number within its bound, a symbol, a blank)."""
    ok = _ONE_CELL_SEEN.get(text)
    if ok is None:
        ok = bool(_ONE_CELL.match(text))
        if len(_ONE_CELL_SEEN) < 20_000:
            _ONE_CELL_SEEN[text] = ok
    return ok


_ONE_CELL_SEEN: dict[str, bool] = {}


def _problem(check_id: str, cells: list[str], message: str) -> dict:
    return {"check_id": check_id, "severity": "error", "cells": cells, "expected": None, "actual": None,
            "message": message}


def _t3_cost(assign: dict[str, tuple], cols: list[str], leaves: list[str], has_total: bool) -> int:
    """Violated hard checks (T3.H1 per column, T3.H2 per row, T3.H3 per column) of a reading."""
    bad = 0
    if has_total:
        for vals in assign.values():
            try:
                if sum(vals[:-1]) != vals[-1]:
                    bad += 1
            except TypeError:  # a "/" cell: not checkable
                pass
    get = assign.get
    io = (get("received_new"), get("carried_in"), get("outcome_total"), get("carried_out"))
    if None not in io:
        for a, b, o, d in zip(*io):
            try:
                if a + b != o + d:
                    bad += 1
            except TypeError:
                pass
    ot = io[2]
    lv = [get(x) for x in leaves]
    if ot is not None and lv and None not in lv:
        for o, col in zip(ot, zip(*lv)):
            try:
                if sum(col) != o:
                    bad += 1
            except TypeError:
                pass
    return bad


class _T3Eval:
    """``_t3_cost`` of many assignments that differ only in the rows ``names``: what the other
    rows contribute (T3.H2 violations, leaf column sums) is computed once."""

    _IO = ("received_new", "carried_in", "outcome_total", "carried_out")

    def __init__(self, assign: dict[str, tuple], names: list[str], cols: list[str], leaves: list[str],
                 has_total: bool):
        self.names = names
        self.has_total = has_total
        self.k = len(cols)
        free = set(names)
        self.base_h2 = sum(_h2_bad(v) for c, v in assign.items() if c not in free) if has_total else 0
        # io rows: ("fixed", tuple | None) or ("free", index in the combo)
        self.io = [("free", names.index(x)) if x in free else ("fixed", assign.get(x)) for x in self._IO]
        leaf_rows = [assign.get(x) if x not in free else None for x in leaves]
        self.h3 = bool(leaves) and all(x in free or assign.get(x) is not None for x in leaves)
        self.free_leaves = [names.index(x) for x in leaves if x in free]
        base = [0] * self.k
        ok = [True] * self.k
        for row in leaf_rows:
            if row is None:
                continue
            for j, v in enumerate(row):
                if v is None or not ok[j]:
                    ok[j] = False
                else:
                    base[j] += v
        self.leaf_base, self.leaf_ok = base, ok

    def cost(self, combo: tuple) -> int:
        bad = self.base_h2
        if self.has_total:
            for v in combo:
                bad += _h2_bad(v)
        io = [combo[x] if kind == "free" else x for kind, x in self.io]
        if None not in io:
            for a, b, o, d in zip(*io):
                try:
                    if a + b != o + d:
                        bad += 1
                except TypeError:
                    pass
        ot = io[2]
        if ot is not None and self.h3:
            sums = list(self.leaf_base)
            ok = list(self.leaf_ok)
            for i in self.free_leaves:
                for j, v in enumerate(combo[i]):
                    if v is None:
                        ok[j] = False
                    elif ok[j]:
                        sums[j] += v
            for j, o in enumerate(ot):
                if ok[j] and sums[j] != o:  # (an int ≠ None counts, as in _t3_cost)
                    bad += 1
        return bad


def _h2_bad(vals: tuple) -> int:
    """1 when a row's 总计 is not the sum of its cells (T3.H2), 0 otherwise or when not checkable."""
    try:
        return int(sum(vals[:-1]) != vals[-1])
    except TypeError:  # a "/" cell
        return 0


def _search(assign: dict[str, tuple], options: dict[str, list[tuple]], cost) -> list[dict[str, tuple]]:
    """All minimum-cost assignments over the rows with several readings (exhaustive when small)."""
    if not options:
        return [assign]
    names = list(options)
    total = 1
    for n in names:
        total *= len(options[n])
    if total <= 20000:
        ev = cost.fast(assign, names) if hasattr(cost, "fast") else None
        best, best_list = None, []
        for combo in itertools.product(*(options[n] for n in names)):
            if ev is not None:
                cst = ev.cost(combo)
            else:
                trial = dict(assign)
                trial.update(zip(names, combo))
                cst = cost(trial)
            if best is None or cst < best:
                best, best_list = cst, [combo]
            elif cst == best:
                best_list.append(combo)
        return [{**assign, **dict(zip(names, combo))} for combo in best_list]
    # coordinate descent for large spaces
    cur = dict(assign)
    for _ in range(4):
        changed = False
        for n in names:
            scored = sorted(options[n], key=lambda v: cost({**cur, n: v}))
            if scored[0] != cur[n] and cost({**cur, n: scored[0]}) < cost(cur):
                cur[n] = scored[0]
                changed = True
        if not changed:
            break
    ties = [cur]
    for n in names:
        for v in options[n]:
            if v != cur[n] and cost({**cur, n: v}) == cost(cur):
                ties.append({**cur, n: v})
    return ties


def _dp_row(code: str, groups: list[Group], assign: dict[str, tuple], cols: list[str], leaves: list[str]) -> list[tuple]:
    """Readings of one row that satisfy the most column checks given the other rows."""
    io_rows = ("received_new", "carried_in", "outcome_total", "carried_out")
    targets: list[list[int]] = [[] for _ in cols]
    def at(x: str, j: int) -> int | None:
        t = assign.get(x)
        return t[j] if t is not None and isinstance(t[j], int) else None

    for j in range(len(cols)):
        def v(x: str, j: int = j) -> int | None:
            return at(x, j)
        if code in io_rows:
            a, b, o, d = (v(x) if x != code else "?" for x in io_rows)
            others = [x for x in (a, b, o, d) if x != "?"]
            if all(x is not None for x in others):
                if code in ("received_new", "carried_in"):
                    targets[j].append((o + d) - (b if code == "received_new" else a))
                else:
                    targets[j].append((a + b) - (d if code == "outcome_total" else o))
        if code == "outcome_total":
            lv = [v(x) for x in leaves]
            if all(x is not None for x in lv):
                targets[j].append(sum(lv))
        elif code in leaves:
            ot = v("outcome_total")
            lv = [v(x) for x in leaves if x != code]
            if ot is not None and all(x is not None for x in lv):
                targets[j].append(ot - sum(lv))

    def score(ci: int, cell: str) -> int:
        try:
            val = sp.cell_value(cell, "count")
        except ValueError:
            return -100
        return sum(1 for t in targets[ci] if t == val)

    try:
        _, sols = sp.best_scored_splits(groups, ["count"] * len(cols), score, keep=4)
    except sp.SearchTooLarge:
        return []
    out = []
    for s in sols:
        try:
            vals = _vals(s)
        except ValueError:
            continue
        if vals not in out:
            out.append(vals)
    return out


# ---------------------------------------------------------------- table 四
_T4_HEADER_WORDS = ("行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉",
                    "复议后起诉")
T4_KEYS = [f"{p}__{r}" for p, _ in PROCEEDINGS for r, _ in RESULTS]


def locate_t4(cx: Compact, after: int) -> tuple[list[Group], bool, int] | None:
    """Table 四's value text: what follows its header (the last 总计 of the header words)."""
    c = cx.c
    s = c.find("行政复议", after)
    if s < 0:
        return None
    p = s
    # walk over the header words
    while True:
        for w in _T4_HEADER_WORDS:
            if c.startswith(w, p):
                p += len(w)
                break
        else:
            break
    if p - s < 20:
        # header damaged: take what follows the last 总计 in a short window
        last = c.rfind("总计", s, s + 200)
        if last < 0:
            return None
        p = last + 2
    raw_start = cx.orig_end(p)
    stop = re.search(r"[五六]、|[\u4e00-\u9fff]{2,}", cx.text[raw_start:raw_start + 2000])
    raw = cx.text[raw_start: raw_start + (stop.start() if stop else 2000)]
    # in fields mode the values may sit on the line after the header row
    lines = [ln for ln in raw.split("\n") if ln.strip(" |\t")]
    if lines and ("|" in lines[0] or "\t" in lines[0]):
        line = lines[0].strip()
        if not line.startswith("|"):
            line = "|" + line if "|" in line else "\t" + line
        groups, explicit = sp.segment_groups(line)
    else:
        groups, explicit = sp.segment_groups(raw)
    return groups, explicit, p


def solve_t4(groups: list[Group], explicit: bool) -> Solved | None:
    """Read table 四: the reading where every block's 总计 is the sum of its results (T4.H1).

    When none is, the readings violating the fewest blocks: a violated block keeps its printed
    numbers when its digits read only one way, and is null with a ``P.T4.SPLIT`` error when they
    read several ways (``split.block_min_violation_splits``). Several remaining readings are all
    listed in ``ambiguous["t4"]``.
    """
    res = Solved({})
    if explicit:
        groups = sp.fit_fields(groups, 15)
    if not groups or all(g.exact and g.text == sp.BLANK for g in groups):
        return None
    if len(groups) == 15 and (explicit or all(_one_cell(g.text) for g in groups)):
        cells = tuple(g.text for g in groups)
        try:
            vals = _vals(cells)
        except ValueError:
            res.problems.append(_problem("P.T4.CELL", T4_KEYS, f"table 四: unreadable cells {cells}"))
            return _t4_null(res)
        if not _in_bounds(vals):
            res.problems.append(_problem("P.T4.CELL", T4_KEYS, f"table 四: a cell is beyond {MAX_COUNT:,} {cells}"))
            return _t4_null(res)
        res.values = dict(zip(T4_KEYS, vals))
        res.origin = {k: sp.cell_origin(x) for k, x in zip(T4_KEYS, cells) if sp.cell_origin(x) != "printed"}
        return res
    try:
        sols = sp.block_sum_splits(groups, 3, 5)
        consistent = bool(sols)
        if not consistent:
            # ordered by preference already; slack 1: a reading that assumes a second source error in the row
            # is a candidate too (two errors in one run-together row are common enough), never dropped unseen
            _, sols = sp.block_min_violation_splits(groups, 3, 5, slack=1)
    except sp.SearchTooLarge as exc:
        res.problems.append(_problem("P.T4.SPLIT", T4_KEYS, f"table 四: {exc}"))
        return _t4_null(res)
    readings: list[tuple] = []
    for s in sols:
        v = tuple(None if x is None else sp.cell_value(x, "count") for x in s)
        if v not in readings:
            readings.append(v)
    if not readings:
        res.problems.append(_problem("P.T4.SPLIT", T4_KEYS,
                                     "table 四: its digits cannot be read as 15 cells within the plausibility bounds"))
        return _t4_null(res)
    if consistent:  # preferred: the most zeros (blank results are common in table 四)
        readings.sort(key=lambda v: -sum(1 for x in v if x == 0))
    res.values = dict(zip(T4_KEYS, readings[0]))
    for (p, plabel), blk in zip(PROCEEDINGS, range(0, 15, 5)):
        if readings[0][blk] is None:
            keys = T4_KEYS[blk: blk + 5]
            res.problems.append(_problem(
                "P.T4.SPLIT", keys,
                f"table 四 {p} ({plabel}): its run-together digits admit several readings and none satisfies "
                f"T4.H1 (总计 = the sum of the four results): the five cells cannot be read and are left null"))
    if len(readings) > 1:
        res.ambiguous["t4"] = [dict(zip(T4_KEYS, v)) for v in readings[:50]]
    return res


def _t4_null(res: Solved) -> Solved:
    """Table 四 printed but unreadable: every cell null (the problem says why)."""
    res.values = dict.fromkeys(T4_KEYS)
    return res


def _in_bounds(vals, kinds=None) -> bool:
    """Whether every value is within its plausibility bound (count cells unless ``kinds`` says otherwise)."""
    if kinds is None:
        if None in vals:
            vals = [v for v in vals if v is not None]
            if not vals:
                return True
        return -MAX_COUNT <= min(vals) and max(vals) <= MAX_COUNT
    return all(within_bound(v, k) if isinstance(v, (int, float)) else True for v, k in zip(vals, kinds))


# ---------------------------------------------------------------- table 二
_T2_STOPS = ("第二十条", "信息内容")


_T2_ITEMS = {v: [(b, i) for b in blocks for i in b.items] for v, blocks in T2_BLOCKS.items()}
# (version, item) → (cell kinds, flat keys) of its row
_T2_KINDS_KEYS = {(v, i.code): (tuple(m.kind for m in b.measures), tuple(f"{i.code}__{m.code}" for m in b.measures))
                  for v, blocks in T2_BLOCKS.items() for b in blocks for i in b.items}


def locate_t2(cx: Compact, t3_start: int) -> tuple[str, list[tuple]] | None:
    """Table 二's version and, per item, (item code, value groups, explicit, keys, cell kinds)."""
    c = cx.c
    lo = max(0, t3_start - 8000)
    # the first caption of the block run that ends right before table 三
    caps = []
    x = c.find("第二十条", lo, t3_start)
    while x >= 0:
        caps.append(x)
        x = c.find("第二十条", x + 4, t3_start)
    if not caps:
        return None
    start = caps[0]
    # skip narrative mentions: a caption must be followed by 信息内容 or a measure label nearby
    for x in caps:
        window = c[x: x + 80]
        if "信息内容" in window or "本年" in window or "数量" in window:
            start = x
            break
    region = c[start:t3_start]
    sig = {v: sum(region.count(s) for s in sigs) for v, sigs in T2_SIGNALS.items()}
    if not any(sig.values()):
        version = "gov2021" if "处理决定数量" in region else None
        if version is None:
            return None
    else:
        version = max(sig, key=lambda v: sig[v])
    items = _T2_ITEMS[version]
    spans = []
    p = start
    for _, it in items:
        span = None
        for label in (it.label, *it.aliases):  # the template's wording, then the other version's
            span = find_label(cx, label, p, t3_start)
            if span:
                break
        spans.append(span)
        if span:
            p = span[1]
    out = []
    for idx, ((b, it), span) in enumerate(zip(items, spans)):
        kinds, keys = _T2_KINDS_KEYS[(version, it.code)]
        kinds, keys = list(kinds), list(keys)
        if span is None:
            out.append((it.code, [], False, keys, kinds))
            continue
        nxt = next((spans[j][0] for j in range(idx + 1, len(spans)) if spans[j]), t3_start)
        stops = [x for x in (c.find(w, span[1], nxt) for w in _T2_STOPS) if x >= 0]
        # "三、收到和处理…" heading before table 三
        h3 = c.find("三、", span[1], nxt)
        if h3 >= 0:
            stops.append(h3)
        end = min([nxt, *stops])
        raw = cx.text[cx.orig_end(span[1]): cx.orig(end)]
        groups, explicit = sp.segment_groups(raw)
        out.append((it.code, groups, explicit, keys, kinds))
    return version, out


def solve_t2(version: str, rows) -> Solved | None:
    res = Solved({})
    filled = any(g.text != sp.BLANK for _, groups, _, _, _ in rows for g in groups)
    if not filled:
        return None  # wholly blank (or absent) table: NULL, not zeros (X.S9)
    for code, groups, explicit, keys, kinds in rows:
        if explicit:
            groups = sp.fit_fields(groups, len(kinds))
        if not groups:
            for k in keys:
                res.values[k] = None  # row not printed
            continue
        if all(g.exact and g.text == sp.BLANK for g in groups):
            for k in keys:  # blank row in a filled table
                res.values[k] = 0
                res.origin[k] = "blank_as_zero"
            continue
        if len(groups) == len(kinds) and (explicit or all(g.exact or _t2_one_cell(g.text, kd)
                                                          for g, kd in zip(groups, kinds))):
            cells = tuple(map(_TEXT, groups))
            all_counts = all(kd == "count" for kd in kinds)
            try:
                vals = sp.count_values(cells) if all_counts else tuple(sp.cell_value(x, kd) for x, kd in zip(cells, kinds))
            except ValueError:
                res.problems.append(_problem("P.T2.CELL", keys, f"table 二 row {code}: unreadable cells {cells}"))
                res.values.update(dict.fromkeys(keys))
                continue
            if not (_in_bounds(vals) if all_counts else _in_bounds(vals, kinds)):
                res.problems.append(_problem("P.T2.CELL", keys, f"table 二 row {code}: a cell is beyond its "
                                                                f"plausibility bound {cells}"))
                res.values.update(dict.fromkeys(keys))
                continue
            res.values.update(zip(keys, vals))
            if not _SYMBOLIC.isdisjoint(cells):  # blank, "-", "/": not printed as numbers
                res.origin.update({k: sp.cell_origin(x) for k, x in zip(keys, cells) if x in _SYMBOLIC})
            continue
        readings = []
        try:
            for s in sp.enumerate_splits(groups, kinds, limit=20000):  # only cells within their bounds
                try:
                    vals = tuple(sp.cell_value(x, kd) for x, kd in zip(s, kinds))
                except ValueError:
                    continue
                if vals not in [r[0] for r in readings]:
                    readings.append((vals, s))
        except sp.SearchTooLarge as exc:
            res.problems.append(_problem("P.T2.SPLIT", keys, f"table 二 row {code}: {exc}"))
            res.values.update(dict.fromkeys(keys))
            continue
        # hard: T2.H3 (gov2019, items can't go negative)
        if version == "gov2019" and "items_change" in "".join(keys):
            readings = [r for r in readings if r[0][0] is None or r[0][1] is None or r[0][0] + r[0][1] >= 0]
        if not readings:
            res.problems.append(_problem("P.T2.SPLIT", keys, f"table 二 row {code}: its digits cannot be read as "
                                                             f"{len(kinds)} cells within the plausibility bounds"))
            for k in keys:
                res.values[k] = None
            continue
        scored = []
        for vals, cells in readings:
            soft = int(code in ("rules", "normative_docs") and t2_soft_broken(vals, version))
            scored.append((_t2_preference(code, vals, cells, soft), vals, cells))
        scored.sort(key=lambda x: x[0])
        best_soft = scored[0][0][0]
        top = [x for x in scored if x[0][0] == best_soft]
        vals, cells = top[0][1], top[0][2]
        res.values.update(zip(keys, vals))
        res.origin.update({k: sp.cell_origin(x) for k, x in zip(keys, cells) if sp.cell_origin(x) != "printed"})
        if len(top) > 1:
            res.ambiguous[f"t2.{code}"] = [dict(zip(keys, x[1])) for x in top[:100]]
    return res


_T2_ONE = re.compile(r"^(?:[+-]?(?:0|[1-9]\d*)(?:\.\d+)?[" + sp.UNITS + r"]?)$")


def _t2_one_cell(text: str, kind: str) -> bool:
    """Whether a run group is plainly one table 二 cell: one number, within its bound (else it is split)."""
    if not _T2_ONE.match(text):
        return False
    try:
        return within_bound(sp.cell_value(text, kind), kind)
    except ValueError:
        return False


def _t2_preference(code: str, vals: tuple, cells: tuple, soft: int) -> tuple:
    """Order candidate readings: fewest soft violations, then what agencies usually print.

    A standalone 0 is usually its own cell (no change, none repealed); a stock (现行有效,
    对外公开总数) is the largest cell; digit lengths are usually balanced; more documents are
    issued than repealed. Only an order: a tie on soft checks is still reported as ambiguous.
    """
    lens = [len(c.strip("+-")) for c in cells]
    mean = sum(lens) / len(lens)
    var = sum((x - mean) ** 2 for x in lens) / len(lens)
    zeros = sum(1 for c in cells if c == "0")
    nums = [v for v in vals if isinstance(v, (int, float))]
    stock_not_max = 0
    issued_lt_repealed = 0
    if code in ("rules", "normative_docs") and len(nums) == 3:
        stock_not_max = int(nums[2] < max(nums[:2]))
        issued_lt_repealed = int(nums[0] < nums[1])
    return (soft, -zeros, stock_not_max, round(var, 6), issued_lt_repealed)
