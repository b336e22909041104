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
import re
from dataclasses import dataclass, field

from . import split as sp
from .checks import t2_soft_broken
from .split import Group
from .template import C7, COLUMN_LABEL, LEAVES, RESULTS, T2_BLOCKS, T2_SIGNALS, T3_ROWS, T3_SIGNALS_2021, PROCEEDINGS

# ---------------------------------------------------------------- compact text
_CHUNK = re.compile(r"[^\s|]+")


class Compact:
    """The text with whitespace and pipes removed, with a map back to original offsets."""

    def __init__(self, text: str):
        self.text = text
        starts, origs, parts = [], [], []
        n = 0
        for m in _CHUNK.finditer(text):
            starts.append(n)
            origs.append(m.start())
            s = m.group()
            parts.append(s)
            n += len(s)
        self.c = "".join(parts)
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


def _strip_next_prefix(raw: str, next_prefix: str | None) -> str:
    """Remove the next row's numbering glued to this row's digits (``…00000002.其他…``)."""
    if not next_prefix:
        return raw
    m = re.fullmatch(r"(\d+)\.", next_prefix)
    if not m:
        return raw
    pat = _TAIL_NUM.get(m.group(1))
    if pat is None:
        pat = _TAIL_NUM[m.group(1)] = re.compile(m.group(1) + r"\s*[.、．]\s*$")
    stripped = raw.rstrip()
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
    for r in rows:
        span = find_label(cx, r.label, p, min(len(c), p + 1500))
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
    found_idx = [i for i, s in enumerate(spans) if s]
    for idx, (r, span) in enumerate(zip(rows, spans)):
        if span is None:
            out_rows.append(RowText(r.code, [], False, found=False))
            continue
        nxt = next((j for j in found_idx if j > idx), None)
        if nxt is not None:
            seg_end_c = spans[nxt][0]
            next_prefix = rows[nxt].prefix
        else:
            seg_end_c, next_prefix = table_end, None
        raw = cx.text[cx.orig_end(span[1]): cx.orig(seg_end_c)]
        raw = _strip_next_prefix(raw, next_prefix)
        groups, explicit = sp.segment_groups(raw)
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


def _vals(cells: tuple[str, ...], kind: str = "count") -> tuple:
    return tuple(sp.cell_value(x, kind) for x in cells)


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
            cells = tuple(g.text for g in r.groups)
            try:
                vals = list(_vals(cells))
            except ValueError:
                res.problems.append(_problem("P.T3.CELL", [f"{r.code}__{c}" for c in cols], f"row {r.code}: unreadable cells {cells}"))
                continue
            origin = {c: sp.cell_origin(x) for c, x in zip(cols, cells)}
            if has_total and cells[-1] == sp.BLANK and any(x != sp.BLANK for x in cells[:-1]):
                if all(isinstance(v, int) for v in vals[:-1]):
                    vals[-1] = sum(vals[:-1])
                    origin["total"] = "derived"
            for c, o in origin.items():
                if o != "printed":
                    res.origin[f"{r.code}__{c}"] = o
            cands[r.code] = [tuple(vals)]
            continue
        if not r.groups:
            res.problems.append(_problem("P.T3.SPLIT", [f"{r.code}__{cols[0]}"], f"table 三 row {r.code}: no values"))
            continue
        try:
            splits = sp.total_splits(r.groups, k) if has_total else list(sp.enumerate_splits(r.groups, ["count"] * k, 5000))
        except sp.SearchTooLarge as exc:
            res.problems.append(_problem("P.T3.SPLIT", [f"{r.code}__{cols[0]}"], f"table 三 row {r.code}: {exc}"))
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

    assign: dict[str, tuple] = {code: cs[0] for code, cs in cands.items() if cs}
    broken = [code for code, cs in cands.items() if not cs]
    # broken rows: best reading by column checks, given the other rows
    for code in broken:
        sols = _dp_row(code, groups_of[code], assign, cols, leaves)
        if not sols:
            res.problems.append(_problem("P.T3.SPLIT", [f"{code}__{cols[0]}"],
                                         f"table 三 row {code}: its digits cannot be read as {k} cells"))
            continue
        assign[code] = sols[0]
        cands[code] = sols
    uncertain = [code for code, cs in cands.items() if len(cs) > 1]
    best_assigns = _search(assign, {u: cands[u] for u in uncertain}, cost)
    assign = best_assigns[0]
    # a row that admits a sum-consistent but wrong reading: try its best column reading
    improved = True
    rounds = 0
    while improved and rounds < 3 and cost(assign) > 0:
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
    # every template row and column in printed order; None where not read or not printed
    for r in T3_ROWS[version]:
        vals = dict(zip(cols, assign[r.code])) if r.code in assign else {}
        for c in C7:
            res.values[f"{r.code}__{c}"] = vals.get(c)
    return res


_ONE_CELL = re.compile(r"^(?:0|[1-9]\d*|-|/|)$")


def _one_cell(text: str) -> bool:
    return bool(_ONE_CELL.match(text))


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


def _search(assign: dict[str, tuple], options: dict[str, list[tuple]], cost) -> list[dict[str, tuple]]:
    """All minimum-cost assignments over the rows with several readings (exhaustive when small)."""
    if not options:
        return [assign]
    names = list(options)
    total = 1
    for n in names:
        total *= len(options[n])
    if total <= 20000:
        best, best_list = None, []
        for combo in itertools.product(*(options[n] for n in names)):
            trial = dict(assign)
            trial.update(zip(names, combo))
            cst = cost(trial)
            if best is None or cst < best:
                best, best_list = cst, [trial]
            elif cst == best:
                best_list.append(trial)
        return best_list
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
            return res
        res.values = dict(zip(T4_KEYS, vals))
        res.origin = {k: sp.cell_origin(x) for k, x in zip(T4_KEYS, cells) if sp.cell_origin(x) != "printed"}
        return res
    try:
        sols = sp.block_sum_splits(groups, 3, 5)
        if not sols:
            _, sols = sp.block_min_violation_splits(groups, 3, 5)
    except sp.SearchTooLarge as exc:
        res.problems.append(_problem("P.T4.SPLIT", T4_KEYS[:1], f"table 四: {exc}"))
        return res
    readings: list[tuple] = []
    for s in sols:
        v = _vals(s)
        if v not in readings:
            readings.append(v)
    if not readings:
        res.problems.append(_problem("P.T4.SPLIT", T4_KEYS[:1], "table 四: its digits cannot be read as 15 cells"))
        return res
    readings.sort(key=lambda v: -sum(1 for x in v if x == 0))
    res.values = dict(zip(T4_KEYS, readings[0]))
    if len(readings) > 1:
        res.ambiguous["t4"] = [dict(zip(T4_KEYS, v)) for v in readings[:50]]
    return res


# ---------------------------------------------------------------- table 二
_T2_STOPS = ("第二十条", "信息内容")


def locate_t2(cx: Compact, t3_start: int) -> tuple[str, list[tuple]] | None:
    """Table 二's version and, per item, (item code, value groups, explicit, keys, cell kinds)."""
    c = cx.c
    lo = max(0, t3_start - 8000)
    # the first caption of the block run that ends right before table 三
    caps = [m.start() for m in re.finditer("第二十条", c[lo:t3_start])]
    if not caps:
        return None
    caps = [lo + x for x in caps]
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
    items = [(b, i) for b in T2_BLOCKS[version] for i in b.items]
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
        kinds = [m.kind for m in b.measures]
        keys = [f"{it.code}__{m.code}" for m in b.measures]
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
        if len(groups) == len(kinds) and (explicit or all(g.exact or _T2_ONE.match(g.text) for g in groups)):
            cells = tuple(g.text for g in groups)
            try:
                vals = tuple(sp.cell_value(x, kd) for x, kd in zip(cells, kinds))
            except ValueError:
                res.problems.append(_problem("P.T2.CELL", keys, f"table 二 row {code}: unreadable cells {cells}"))
                continue
            res.values.update(zip(keys, vals))
            res.origin.update({k: sp.cell_origin(x) for k, x in zip(keys, cells) if sp.cell_origin(x) != "printed"})
            continue
        readings = []
        for s in sp.enumerate_splits(groups, kinds, limit=20000):
            try:
                vals = tuple(sp.cell_value(x, kd) for x, kd in zip(s, kinds))
            except ValueError:
                continue
            if vals not in [r[0] for r in readings]:
                readings.append((vals, s))
        # hard: T2.H3 (gov2019, items can't go negative)
        if version == "gov2019" and "items_change" in "".join(keys):
            readings = [r for r in readings if r[0][0] is None or r[0][1] is None or r[0][0] + r[0][1] >= 0]
        if not readings:
            res.problems.append(_problem("P.T2.SPLIT", keys, f"table 二 row {code}: its digits cannot be read as {len(kinds)} cells"))
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
