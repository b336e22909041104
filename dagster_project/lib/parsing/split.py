"""Cells out of a row's value text, and the digit-split enumerators.

A row's value text (what follows its label) is cleaned (units, symbols, stray label
fragments) and cut into *groups*:

* an **exact** group is exactly one cell: a table cell from HTML/DOCX/pipes/tabs, a symbol
  (``-`` ``—`` ``无``), or a blank cell;
* a **run** is a digit string that holds one or more cells glued together (scraped text loses
  cell boundaries; a space in scraped text is a possible boundary, never inside a number).

The enumerators list the ways to cut runs into cells, never a cell with a leading zero
(except ``0`` itself). They prune by the template's sums so long rows stay cheap: for
table 三 the 总计 cell must equal the sum of the other six (T3.H2), for table 四 each block's
总计 equals the sum of its four results (T4.H1).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

YUAN = "\ue000"  # unit marker: 元
WAN = "\ue001"  # unit marker: 万元 / 万
BLANK = ""  # an empty table cell
UNITS = YUAN + WAN

_UNIT_SUBS = (
    (re.compile(r"(\d)\s*万元"), r"\1" + WAN),
    (re.compile(r"(\d)\s*万(?![\u4e00-\u9fff])"), r"\1" + WAN),
    (re.compile(r"(\d)\s*元"), r"\1" + YUAN),
    (re.compile(r"(\d)\s*(?:件次|件|项|个|条|次)"), r"\1"),
)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_NONE_SYMBOL = re.compile(r"(?<![\u4e00-\u9fff])无(?![\u4e00-\u9fff])")
_DASHES = str.maketrans({"—": "-", "－": "-", "―": "-", "–": "-", "‐": "-", "─": "-", "/": "/", "\\": "/"})
_KEEP = re.compile(r"[^0-9.+\-/|\t\n ," + UNITS + r"]")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?[" + UNITS + r"]?$")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Group:
    text: str
    exact: bool  # True: exactly one cell; False: a run of one or more glued cells


_PLAIN = re.compile(r"[0-9.+\-/|\t\n ,]*")
_UNIT_CHARS = re.compile("[万元件项个条次]")


def clean_segment(seg: str) -> str:
    """Keep only what can be cell values: digits, signs, decimal points, symbols, separators."""
    if _PLAIN.fullmatch(seg):
        return seg  # nothing to clean (the common case in scraped text)
    if _UNIT_CHARS.search(seg):
        for pat, rep in _UNIT_SUBS:
            seg = pat.sub(rep, seg)
    first_digit = _DIGIT.search(seg)
    if first_digit:
        m = _CJK_RUN.search(seg, first_digit.start())
        if m:
            seg = seg[: m.start()]
    if "无" in seg:
        seg = _NONE_SYMBOL.sub(" - ", seg)
    seg = seg.translate(_DASHES)
    return _KEEP.sub(" ", seg)


def segment_groups(raw: str) -> tuple[list[Group], bool]:
    """Groups of a row's raw value text; the flag says cell boundaries were explicit (fields)."""
    first_line, nl, _rest = raw.partition("\n")
    if "|" in first_line or "\t" in first_line:
        return _field_groups(clean_segment(first_line)), True
    text = clean_segment(raw)
    return _run_groups(text), False


def fit_fields(groups: list[Group], k: int) -> list[Group]:
    """Reconcile explicit fields with the k cells a row has.

    Markdown and HTML conversions pad merged cells with empty fields (``| 规章 |  | 1 | 0 | 56 |``):
    when there are more fields than cells, the non-blank ones are the cells if they are
    exactly k, else blank padding is dropped from the front, then from the back.
    """
    if len(groups) <= k or not all(g.exact for g in groups):
        return groups
    nonblank = [g for g in groups if g.text != BLANK]
    if len(nonblank) == k:
        return nonblank
    out = list(groups)
    while len(out) > k and out[0].text == BLANK:
        out.pop(0)
    while len(out) > k and out[-1].text == BLANK:
        out.pop()
    return out


_FIELD_SPLIT = re.compile(r"[|\t]")


def _field_groups(text: str) -> list[Group]:
    # fields[0] is what is left of the label cell; a closing "|" leaves an empty last field
    fields = _FIELD_SPLIT.split(text)[1:]
    if fields and not fields[-1].strip() and text.rstrip().endswith("|"):
        fields.pop()
    groups = []
    for f in fields:
        f = f.strip()
        if not f or f.isdigit() or f == "-" or f == "/":
            groups.append(Group(f, True))
        elif " " not in f and _SINGLE.match(f):
            groups.append(Group(f.replace(",", "") if _THOUSANDS.match(f) else f, True))
        else:
            groups.extend(_run_groups(f))
    return groups


_SINGLE = re.compile(r"^(?:[+-]?\d+(?:\.\d+)?[" + UNITS + r"]?|-|/|[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?[" + UNITS + r"]?)$")


def _run_groups(text: str) -> list[Group]:
    groups = []
    for word in text.split():
        if _THOUSANDS.match(word):  # 1,234 (grouped in threes): one number
            groups.append(Group(word.replace(",", ""), True))
            continue
        for tok in word.split(","):  # any other comma separates cells
            if not tok:
                continue
            if tok in ("-", "/"):
                groups.append(Group(tok, True))
                continue
            # a dash glued after digits ("0-0") is a zero symbol unless it signs a number
            for part in re.split(r"(?<=\d)(-)(?!\d)|^(-)(?!\d)", tok):
                if not part:
                    continue
                groups.append(Group(part, part == "-"))
    return groups


# ---------------------------------------------------------------- cell values
CellKind = str  # count | signed | decimal | money

def cell_value(cell: str, kind: CellKind):
    """The number a cell string stands for (``None`` for ``/``, not applicable)."""
    if cell == BLANK or cell == "-":
        return 0
    if cell == "/":
        return None
    unit = cell[-1] if cell and cell[-1] in UNITS else ""
    num = cell[:-1] if unit else cell
    if kind in ("count", "signed"):
        try:
            return int(num)
        except ValueError:
            try:
                d = Decimal(num)
            except InvalidOperation:
                raise ValueError(f"not a number: {cell!r}") from None
            return float(d)
    try:
        d = Decimal(num)
    except InvalidOperation:
        raise ValueError(f"not a number: {cell!r}") from None
    if kind == "money" and unit == WAN:
        d *= 10000
    elif kind == "decimal" and unit == YUAN:
        d /= 10000
    return int(d) if d == d.to_integral_value() and "." not in num else float(d)


def cell_origin(cell: str) -> str:
    if cell == BLANK:
        return "blank_as_zero"
    if cell in ("-", "/"):
        return "symbol_as_zero" if cell == "-" else "not_applicable"
    return "printed"


# ---------------------------------------------------------------- the flat row
class SearchTooLarge(Exception):
    """A run-together row admits more readings than the search budget allows."""


SEARCH_BUDGET = 300_000  # cell expansions per row: realistic rows need a few hundred


@dataclass
class Flat:
    """A row's groups as one string plus boundary constraints.

    ``must``: positions where a cell must end (between groups: a space or a field boundary);
    ``forbid``: positions where no cell may end (inside a one-cell group such as ``1,234``).
    Exact one-cell groups that are symbols or blanks stand as ``0`` in the string; ``orig``
    maps their start position back to what was printed.
    """

    s: str
    must: list[int]
    forbid: frozenset[int]
    orig: dict[int, str]

    def __post_init__(self) -> None:
        self.steps_left = SEARCH_BUDGET
        n = len(self.s)
        nxt = [n] * (n + 1)
        m = sorted(set(self.must) | {n})
        j = len(m) - 1
        for pos in range(n, -1, -1):
            while j > 0 and m[j - 1] > pos:
                j -= 1
            nxt[pos] = m[j] if m[j] > pos else n
        self.next_must = nxt
        # prefix digit sums: the parts of a sum keep their digit sum whatever the split, so a
        # total must be ≡ the digit sum of its parts (mod 9) — an O(1) filter on candidate totals
        acc = [0]
        for ch in self.s:
            acc.append(acc[-1] + (ord(ch) - 48 if "0" <= ch <= "9" else 0))
        self.dsum = acc

    def mod9_ok(self, lo: int, hi: int, total: int) -> bool:
        return (self.dsum[hi] - self.dsum[lo] - total) % 9 == 0

    def cell(self, a: int, b: int) -> str:
        return self.orig.get(a, self.s[a:b]) if (b - a == 1 and a in self.orig) else self.s[a:b]

    def sub(self, lo: int, hi: int) -> Flat:
        """The part s[lo:hi] with its constraints (sharing this row's search budget)."""
        part = Flat(self.s[lo:hi], [m - lo for m in self.must if lo < m <= hi],
                    frozenset(x - lo for x in self.forbid if lo < x < hi),
                    {p - lo: v for p, v in self.orig.items() if lo <= p < hi})
        part.steps_left = self.steps_left
        return part


def flatten(groups: list[Group]) -> Flat:
    parts: list[str] = []
    must: list[int] = []
    forbid: set[int] = set()
    orig: dict[int, str] = {}
    pos = 0
    for g in groups:
        text = g.text
        if g.exact and (text in (BLANK, "-", "/")):
            orig[pos] = text
            text = "0"
        if g.exact:
            forbid.update(range(pos + 1, pos + len(text)))
        parts.append(text)
        pos += len(text)
        must.append(pos)
    return Flat("".join(parts), must, frozenset(forbid), orig)


def _ends(f: Flat, pos: int, kind: CellKind, maxlen: int = 1 << 30) -> list[int]:
    """End positions of the cells that can start at ``pos`` (shortest first, at most ``maxlen`` chars)."""
    f.steps_left -= 1
    if f.steps_left <= 0:
        raise SearchTooLarge(f"{len(f.s)} run-together digits admit too many readings")
    s = f.s
    limit = min(f.next_must[pos], pos + maxlen + (1 if kind != "count" else 0)) if kind == "count" else f.next_must[pos]
    i = pos
    if kind == "signed" and i < limit and s[i] in "+-":
        i += 1
    if i >= limit or not s[i].isdigit():
        return []
    if s[i] == "0":
        cand = [i + 1]
    else:
        cand = []
        j = i
        while j < limit and s[j].isdigit():
            j += 1
            cand.append(j)
    out = []
    for e in cand:
        if kind in ("decimal", "money") and e < limit and s[e] == ".":
            fpos = e + 1
            while fpos < limit and s[fpos].isdigit():
                fpos += 1
                out.append(fpos + 1 if fpos < limit and s[fpos] in UNITS else fpos)
            continue
        if e < limit and s[e] in UNITS:
            e += 1
        out.append(e)
    return [e for e in out if e not in f.forbid and e <= limit]


def enumerate_splits(groups: list[Group] | Flat, kinds: list[CellKind], limit: int = 200_000) -> Iterator[tuple[str, ...]]:
    """Every way to read the row as exactly ``len(kinds)`` cells (at most ``limit`` of them)."""
    f = groups if isinstance(groups, Flat) else flatten(groups)
    k = len(kinds)
    n = len(f.s)
    if len(f.must) > k:
        return
    count = [0]
    ends: list[int] = []
    dead: set[tuple[int, int]] = set()

    def rec(pos: int, ci: int) -> Iterator[tuple[str, ...]]:
        if count[0] >= limit:
            return
        if ci == k:
            if pos == n:
                count[0] += 1
                starts = [0, *ends[:-1]]
                yield tuple(f.cell(a, b) for a, b in zip(starts, ends))
            return
        if n - pos < k - ci or (pos, ci) in dead:
            return
        before = count[0]
        for e in _ends(f, pos, kinds[ci]):
            ends.append(e)
            yield from rec(e, ci + 1)
            ends.pop()
        if count[0] == before:
            dead.add((pos, ci))

    yield from rec(0, 0)


def _one_char_cells(f: Flat, k: int) -> tuple[str, ...] | None:
    """When the row has exactly k characters, its only reading is one character a cell."""
    if len(f.s) != k or f.forbid:
        return None
    return tuple(f.cell(i, i + 1) for i in range(k))


def _int_at(f: Flat, a: int, b: int) -> int | None:
    t = f.s[a:b]
    if not t.isdigit() or (len(t) > 1 and t[0] == "0"):
        return None
    return int(t)


def _sum_search(f: Flat, lo: int, hi: int, c: int, target: int, limit: int) -> list[list[int]]:
    """Cell end lists splitting s[lo:hi] into ``c`` count cells that sum to ``target``.

    Depth-first with bounds: a cell is never longer than what is left of the sum, the
    remaining characters must be able to reach the remaining sum and no more, and dead
    states are remembered. Inlined digit arithmetic: this is the parser's hot loop.
    """
    results: list[list[int]] = []
    if hi < lo + c or hi - lo >= len(_POW10):
        return results
    s = f.s
    nm = f.next_must
    forbid = f.forbid
    ends: list[int] = []
    dead: set[tuple[int, int, int]] = set()
    pow10 = _POW10

    def rec(pos: int, cl: int, left: int) -> None:
        if len(results) >= limit:
            return
        f.steps_left -= 1
        if f.steps_left <= 0:
            raise SearchTooLarge(f"{len(s)} run-together digits admit too many readings")
        chars = hi - pos
        if cl == 1:
            if nm[pos] >= hi and (chars == 1 or s[pos] != "0"):
                t = s[pos:hi]
                if t.isdigit() and int(t) == left:
                    ends.append(hi)
                    results.append(list(ends))
                    ends.pop()
            return
        if chars < cl:
            return
        if cl == 2:
            # a + b = left: for each cut, b is known, so compare strings instead of recursing
            lim2 = min(nm[pos], hi - 1)
            first = s[pos]
            v = 0
            for e in range(pos + 1, lim2 + 1):
                ch = s[e - 1]
                if not ("0" <= ch <= "9"):
                    break
                v = v * 10 + (ord(ch) - 48)
                if v > left:
                    break
                if e not in forbid and nm[e] >= hi and s[e:hi] == str(left - v):
                    ends.append(e)
                    ends.append(hi)
                    results.append(list(ends))
                    del ends[-2:]
                if first == "0":
                    break
            return
        maxlen = len(str(left)) if left > 0 else 1
        if chars > cl * maxlen:
            return
        if left > cl * (pow10[chars - cl + 1] - 1):
            return
        # some cell has ≥ ceil(chars/cl) digits; with 2+ digits it has no leading zero
        widest = -(-chars // cl)
        if widest >= 2 and left < pow10[widest - 1]:
            return
        key = (pos, cl, left)
        if key in dead:
            return
        before = len(results)
        lim = min(nm[pos], pos + maxlen, hi - cl + 1)
        first = s[pos]
        if "0" <= first <= "9":
            v = 0
            for e in range(pos + 1, lim + 1):
                ch = s[e - 1]
                if not ("0" <= ch <= "9"):
                    break
                v = v * 10 + (ord(ch) - 48)
                if v > left:
                    break
                if e not in forbid:
                    ends.append(e)
                    rec(e, cl - 1, left - v)
                    ends.pop()
                if first == "0":
                    break
        if len(results) == before:
            dead.add(key)

    rec(lo, c, target)
    return results


def _cells3(f: Flat, lo: int, hi: int, maxlen: int, cap: int) -> list[tuple[int, int, int]]:
    """(sum, end1, end2) for every reading of s[lo:hi] as three count cells of ≤ maxlen digits, sum ≤ cap."""
    s, nm, forbid = f.s, f.next_must, f.forbid
    out: list[tuple[int, int, int]] = []
    if hi - lo < 3 or hi - lo > 3 * maxlen:
        return out
    f.steps_left -= 1
    if f.steps_left <= 0:
        raise SearchTooLarge(f"{len(s)} run-together digits admit too many readings")
    for e1 in range(lo + 1, min(lo + maxlen, hi - 2) + 1):
        if nm[lo] < e1:
            break  # a required boundary comes first
        if e1 not in forbid:
            a = int(s[lo:e1])
            if a > cap:
                break
            for e2 in range(e1 + 1, min(e1 + maxlen, hi - 1) + 1):
                if nm[e1] < e2:
                    break
                if e2 not in forbid:
                    b = int(s[e1:e2])
                    if a + b > cap:
                        break
                    if hi - e2 <= maxlen and nm[e2] >= hi and (s[e2] != "0" or hi - e2 == 1):
                        c = int(s[e2:hi])
                        if a + b + c <= cap:
                            out.append((a + b + c, e1, e2))
                if s[e1] == "0":
                    break  # "0" is a one-character cell
        if s[lo] == "0":
            break
    return out


def _sum_search_6(f: Flat, lo: int, hi: int, target: int, limit: int) -> list[list[int]]:
    """Six cells summing to ``target``: meet in the middle (three cells on each side of a cut)."""
    results: list[list[int]] = []
    maxlen = len(str(target)) if target > 0 else 1
    # each side is three cells of at most maxlen digits: only cuts leaving 3..3·maxlen characters a side
    for q in range(max(lo + 3, hi - 3 * maxlen), min(hi - 3, lo + 3 * maxlen) + 1):
        if q in f.forbid:
            continue
        left = _cells3(f, lo, q, maxlen, target)
        if not left:
            continue
        right: dict[int, list[tuple[int, int]]] = {}
        for sm, e1, e2 in _cells3(f, q, hi, maxlen, target):
            right.setdefault(sm, []).append((e1, e2))
        if not right:
            continue
        for sm, e1, e2 in left:
            for r1, r2 in right.get(target - sm, ()):
                results.append([e1, e2, q, r1, r2, hi])
                if len(results) >= limit:
                    return results
    return results


_POW10 = [10 ** i for i in range(1024)]


def total_splits(groups: list[Group] | Flat, k: int, limit: int = 100_000) -> list[tuple[str, ...]]:
    """Readings of a table 三 row as k count cells whose last equals the sum of the others (T3.H2).

    The total is a suffix; the other cells are searched with the remaining sum as a bound
    (each cell ≤ what is left, the remainder must be able to reach it), so long rows stay cheap.
    """
    f = groups if isinstance(groups, Flat) else flatten(groups)
    n = len(f.s)
    if n < k or len(f.must) > k:
        return []
    one = _one_char_cells(f, k)
    if one is not None:
        if not f.s.isdigit():
            return []
        d = [int(ch) for ch in f.s]
        return [one] if sum(d[:-1]) == d[-1] else []
    out: list[tuple[str, ...]] = []
    last_must = max([m for m in f.must if m < n], default=0)
    for t in range(n - 1, last_must - 1, -1):
        if t in f.forbid:
            continue
        total = _int_at(f, t, n)
        if total is None or not f.mod9_ok(0, t, total):
            continue
        # the parts: k−1 cells of at most len(total) digits each
        if t > (k - 1) * len(str(total)) or t < k - 1:
            continue
        search = _sum_search_6 if k == 7 else None
        found = search(f, 0, t, total, limit - len(out)) if search else _sum_search(f, 0, t, k - 1, total, limit - len(out))
        for ends in found:
            cells = [0, *ends]
            out.append(tuple(f.cell(a, b) for a, b in zip(cells, cells[1:])) + (f.cell(t, n),))
        if len(out) >= limit:
            break
    return out


def block_sum_splits(groups: list[Group] | Flat, blocks: int, width: int, limit: int = 10_000) -> list[tuple[str, ...]]:
    """Readings of table 四's run as ``blocks`` blocks of ``width`` count cells, each ending in its sum.

    For each block the total is a substring whose value bounds the parts before it.
    """
    f = groups if isinstance(groups, Flat) else flatten(groups)
    n = len(f.s)
    if n < blocks * width or len(f.must) > blocks * width:
        return []
    one = _one_char_cells(f, blocks * width)
    if one is not None:
        if not f.s.isdigit():
            return []
        d = [int(ch) for ch in f.s]
        ok = all(sum(d[b * width: b * width + width - 1]) == d[b * width + width - 1] for b in range(blocks))
        return [one] if ok else []
    results: list[tuple[str, ...]] = []
    parts = width - 1
    cells: list[tuple[int, int]] = []

    def rec(pos: int, b: int) -> None:
        if len(results) >= limit:
            return
        if b == blocks:
            if pos == n:
                results.append(tuple(f.cell(a, e) for a, e in cells))
            return
        later = (blocks - b - 1) * width
        for end in range(pos + width, n - later + 1):
            if end in f.forbid:
                continue
            for t in range(end - 1, pos + parts - 1, -1):
                if t in f.forbid:
                    continue
                if f.next_must[t] < end:
                    break  # a required boundary inside the total
                total = _int_at(f, t, end)
                if total is None:
                    continue
                plen = t - pos
                if not f.mod9_ok(pos, t, total):
                    if total > parts * (10 ** (plen - parts + 1) - 1):
                        break
                    continue
                if plen > parts * len(str(total)):
                    continue  # parts too long for this total; a longer total comes next
                if total > parts * (10 ** (plen - parts + 1) - 1):
                    break  # parts too short to reach it, and longer totals are larger
                for ends in _sum_search(f, pos, t, parts, total, limit):
                    starts = [pos, *ends[:-1]]
                    cells.extend(zip(starts, ends))
                    cells.append((t, end))
                    rec(end, b + 1)
                    del cells[-width:]

    rec(0, 0)
    return results


def best_scored_splits(
    groups: list[Group] | Flat, kinds: list[CellKind], score: Callable[[int, str], int], keep: int = 4
) -> tuple[int, list[tuple[str, ...]]]:
    """The readings maximising Σ score(cell index, cell) (up to ``keep`` of them), by dynamic programming.

    Used when no reading satisfies a row's own sum: each cell is scored by how many column
    checks it satisfies given the other rows.
    """
    f = groups if isinstance(groups, Flat) else flatten(groups)
    k = len(kinds)
    n = len(f.s)
    if len(f.must) > k:
        return -1, []
    neg = -(10**9)
    memo: dict[tuple[int, int], tuple[int, list[tuple[str, ...]]]] = {}

    def rec(pos: int, ci: int) -> tuple[int, list[tuple[str, ...]]]:
        key = (pos, ci)
        if key in memo:
            return memo[key]
        if ci == k:
            res = (0, [()]) if pos == n else (neg, [])
            memo[key] = res
            return res
        if n - pos < k - ci:
            memo[key] = (neg, [])
            return memo[key]
        best, sols = neg, []
        for e in _ends(f, pos, kinds[ci]):
            sub_score, sub_sols = rec(e, ci + 1)
            if not sub_sols:
                continue
            cell = f.cell(pos, e)
            total = sub_score + score(ci, cell)
            if total > best:
                best, sols = total, [(cell, *t) for t in sub_sols[:keep]]
            elif total == best and len(sols) < keep:
                sols.extend((cell, *t) for t in sub_sols[: keep - len(sols)])
        memo[key] = (best, sols)
        return memo[key]

    return rec(0, 0)


def block_min_violation_splits(groups: list[Group] | Flat, blocks: int, width: int,
                               limit: int = 50) -> tuple[int, list[tuple[str, ...]]]:
    """When no reading satisfies every block sum: the readings violating the fewest blocks.

    Block boundaries are enumerated; each block is read consistently when it can be
    (``total_splits``), otherwise any reading of it counts as one violation.
    """
    f = groups if isinstance(groups, Flat) else flatten(groups)
    n = len(f.s)
    memo: dict[tuple[int, int], tuple[list[tuple[str, ...]], list[tuple[str, ...]]]] = {}

    def block(lo: int, hi: int):
        key = (lo, hi)
        if key not in memo:
            part = f.sub(lo, hi)
            good = total_splits(part, width, limit=limit)
            any_ = good or list(enumerate_splits(part, ["count"] * width, limit=1))
            f.steps_left = part.steps_left
            memo[key] = (good, any_)
        return memo[key]

    best, out = None, []

    def rec(pos: int, b: int, bad: int, acc: list[tuple[str, ...]]) -> None:
        nonlocal best, out
        if best is not None and bad > best:
            return
        if b == blocks:
            if pos != n:
                return
            combos = [sum(x, ()) for x in itertools.product(*acc)][:limit]
            if best is None or bad < best:
                best, out = bad, combos
            else:
                out.extend(combos[: limit - len(out)])
            return
        later = (blocks - b - 1) * width
        ends = [n] if b == blocks - 1 else range(pos + width, n - later + 1)
        for end in ends:
            if end in f.forbid:
                continue
            good, any_ = block(pos, end)
            if good:
                rec(end, b + 1, bad, [*acc, good])
            elif any_:
                rec(end, b + 1, bad + 1, [*acc, any_])

    rec(0, 0, 0, [])
    return (best if best is not None else -1), out
