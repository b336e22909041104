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

import functools
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from .template import MAX_COUNT, VALUE_BOUND, within_bound

YUAN = "\ue000"  # unit marker: 元
WAN = "\ue001"  # unit marker: 万元 / 万
BLANK = ""  # an empty table cell
UNITS = YUAN + WAN

_UNIT_SUBS = (
    (re.compile(r"(\d)\s*万元"), r"\1" + WAN),
    (re.compile(r"(\d)\s*万(?![\u4e00-\u9fff])"), r"\1" + WAN),
    (re.compile(r"(\d)\s*元"), r"\1" + YUAN),
    # a count unit ends its cell: "1个246900元" is 1 | 246900元, never 1246900元 read as 1246 | 900
    (re.compile(r"(\d)\s*(?:件次|件|项|个|条|次)"), r"\1 "),
)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_NONE_SYMBOL = re.compile(r"(?<![\u4e00-\u9fff])无(?![\u4e00-\u9fff])")
_DASHES = str.maketrans({"—": "-", "－": "-", "―": "-", "–": "-", "‐": "-", "─": "-", "/": "/", "\\": "/"})
_KEEP = re.compile(r"[^0-9.+\-/|\t\n ," + UNITS + r"]")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?[" + UNITS + r"]?$")
_DIGIT = re.compile(r"\d")


class Group(NamedTuple):  # a tuple: built by the thousand per report, so cheap to make
    text: str
    exact: bool  # True: exactly one cell; False: a run of one or more glued cells


_new_group = functools.partial(tuple.__new__, Group)  # Group((text, exact)) without a Python-level __new__

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
        # table rows repeat across reports ("| 0 | 0 | 0 | 0 | 0 | 0 | 0 |"): memoised by line
        groups = _FIELD_LINE_CACHE.get(first_line)
        if groups is None:
            groups = tuple(_field_groups(clean_segment(first_line)))
            if len(_FIELD_LINE_CACHE) >= 4096:
                _FIELD_LINE_CACHE.clear()
            _FIELD_LINE_CACHE[first_line] = groups
        return list(groups), True  # a fresh list: callers own it
    groups = _RUN_CACHE.get(raw)  # scraped rows repeat too ("\n0\n0\n0\n0\n0\n0\n0\n")
    if groups is None:
        groups = tuple(_run_groups(clean_segment(raw)))
        if len(_RUN_CACHE) >= 4096:
            _RUN_CACHE.clear()
        _RUN_CACHE[raw] = groups
    return list(groups), False


_FIELD_LINE_CACHE: dict[str, tuple[Group, ...]] = {}
_RUN_CACHE: dict[str, tuple[Group, ...]] = {}


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
    fields = (text.split("|") if "\t" not in text else _FIELD_SPLIT.split(text))[1:]
    if fields and not fields[-1].strip() and text.rstrip().endswith("|"):
        fields.pop()
    fields = list(map(str.strip, fields))
    cache = _EXACT_GROUPS
    groups = list(map(cache.get, fields))
    if None not in groups:
        return groups  # every field a plain number or symbol seen before
    for i, g in enumerate(groups):  # the usual misses: plain numbers not seen before
        if g is None:
            f = fields[i]
            if not f.isdigit():
                break
            groups[i] = g = _new_group((f, True))
            if len(cache) < 20_000:
                cache[f] = g
    else:
        return groups
    groups = []
    for f in fields:
        g = cache.get(f)
        if g is not None:  # a plain one-cell field seen before ("0", "12", "-", …)
            groups.append(g)
        elif not f or f.isdigit() or f == "-" or f == "/":
            g = Group(f, True)
            if len(cache) < 20_000:
                cache[f] = g
            groups.append(g)
        elif " " not in f and _SINGLE.match(f):
            groups.append(Group(f.replace(",", "") if _THOUSANDS.match(f) else f, True))
        else:
            groups.extend(_run_groups(f))
    return groups


_EXACT_GROUPS: dict[str, Group] = {}  # field text → its one-cell group (plain numbers and symbols only)
_SINGLE = re.compile(r"^(?:[+-]?\d+(?:\.\d+)?[" + UNITS + r"]?|-|/|[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?[" + UNITS + r"]?)$")


_PLAIN_RUNS: dict[str, Group] = {}  # digit word → its run group
_GLUED_DASH = re.compile(r"(?<=\d)(-)(?!\d)|^(-)(?!\d)")


def _run_groups(text: str) -> list[Group]:
    groups = []
    plain = _PLAIN_RUNS
    for word in text.split():
        g = plain.get(word)
        if g is not None:  # a digit run seen before
            groups.append(g)
            continue
        if word.isdigit():  # the common case: a plain digit run
            g = _new_group((word, False))
            if len(plain) < 20_000:
                plain[word] = g
            groups.append(g)
            continue
        if "," in word:
            if _THOUSANDS.match(word):  # 1,234 (grouped in threes): one number
                groups.append(Group(word.replace(",", ""), True))
                continue
            toks = word.split(",")  # any other comma separates cells
        else:
            toks = (word,)
        for tok in toks:
            if not tok:
                continue
            if tok in ("-", "/"):
                groups.append(Group(tok, True))
                continue
            # a dash glued after digits ("0-0") is a zero symbol unless it signs a number
            for part in _GLUED_DASH.split(tok) if "-" in tok else (tok,):
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


_COUNT_CACHE: dict[str, object] = {}
_MISSING = object()


def count_values(cells) -> tuple:
    """``cell_value(cell, "count")`` of each cell, memoised (the same few texts recur in every
    table: 0, 1, 2 …); raises ValueError like ``cell_value``."""
    cache = _COUNT_CACHE
    try:
        return tuple(map(cache.__getitem__, cells))
    except KeyError:
        pass
    out = []
    for c in cells:
        v = cache.get(c, _MISSING)
        if v is _MISSING:
            v = cell_value(c, "count")
            if len(cache) < 50_000:
                cache[c] = v
        out.append(v)
    return tuple(out)


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
        # next_must[pos]: the first required boundary after pos (n when none): positions
        # m_{j-1} .. m_j − 1 all map to m_j
        nxt: list[int] = []
        for m in sorted(set(self.must) | {n}):
            if m > len(nxt):
                nxt.extend([m] * (m - len(nxt)))
        nxt.append(n)
        self.next_must = nxt
        # digit values (non-digits 0), and prefix digit sums: the parts of a sum keep their digit
        # sum whatever the split, so a total must be ≡ the digit sum of its parts (mod 9) — an
        # O(1) filter on candidate totals
        self.digits = digits = self.s.encode("utf-8", "replace").translate(_DIGIT_VALUES) if self.s.isascii() \
            else bytes(ord(ch) - 48 if "0" <= ch <= "9" else 0 for ch in self.s)
        self.dsum = list(itertools.accumulate(digits, initial=0))

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


# byte → its digit value (0 for anything that is not a digit)
_DIGIT_VALUES = bytes(b - 48 if 48 <= b <= 57 else 0 for b in range(256))


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


# Plausibility bounds as digit caps (template.VALUE_BOUND): a count has at most 9 digits; a decimal
# (万元) or money (元) cell may carry a unit that scales it, so its integer part is capped at the
# digits its bound takes in the smallest unit, and its value is checked exactly.
MAX_COUNT_DIGITS = len(str(MAX_COUNT))
_MAX_INT_DIGITS = {
    "count": MAX_COUNT_DIGITS,
    "signed": MAX_COUNT_DIGITS,
    "decimal": len(str(VALUE_BOUND["decimal"] * 10000)),  # 万元 bound written in 元
    "money": len(str(VALUE_BOUND["money"])),  # 元 bound
}
# the most characters one cell can take (a sign for signed cells; decimals have no fixed limit)
_MAX_CELL_CHARS = {"count": MAX_COUNT_DIGITS, "signed": MAX_COUNT_DIGITS + 1, "decimal": 1 << 30, "money": 1 << 30}


def _max_rest(kinds: list[CellKind]) -> list[int]:
    """maxrest[i]: the most characters cells i.. can hold together (a pruning bound)."""
    out = [0] * (len(kinds) + 1)
    for i in range(len(kinds) - 1, -1, -1):
        out[i] = out[i + 1] + _MAX_CELL_CHARS[kinds[i]]
    return out


def _ends(f: Flat, pos: int, kind: CellKind) -> list[int]:
    """End positions of the cells that can start at ``pos`` within their plausibility bound (shortest first)."""
    f.steps_left -= 1
    if f.steps_left <= 0:
        raise SearchTooLarge(f"{len(f.s)} run-together digits admit too many readings")
    s = f.s
    limit = f.next_must[pos]
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
        stop = min(limit, i + _MAX_INT_DIGITS[kind])
        while j < stop and s[j].isdigit():
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
    out = [e for e in out if e not in f.forbid and e <= limit]
    if kind in ("decimal", "money"):  # units scale the value: check it exactly
        out = [e for e in out if _cell_in_bound(f.cell(pos, e), kind)]
    return out


def _cell_in_bound(cell: str, kind: CellKind) -> bool:
    try:
        return within_bound(cell_value(cell, kind), kind)
    except ValueError:
        return False


def enumerate_splits(groups: list[Group] | Flat, kinds: list[CellKind], limit: int = 200_000) -> Iterator[tuple[str, ...]]:
    """Every way to read the row as exactly ``len(kinds)`` cells (at most ``limit`` of them)."""
    f = groups if isinstance(groups, Flat) else flatten(groups)
    k = len(kinds)
    n = len(f.s)
    if len(f.must) > k:
        return
    maxrest = _max_rest(kinds)
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
        if n - pos < k - ci or n - pos > maxrest[ci] or (pos, ci) in dead:
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
    """The count cell s[a:b] (None when it is not one: leading zero, not digits, beyond the bound)."""
    t = f.s[a:b]
    if not t.isdigit() or (len(t) > 1 and t[0] == "0") or len(t) > MAX_COUNT_DIGITS:
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


def _left3(f: Flat, lo: int, qmin: int, qmax: int, maxlen: int, cap: int) -> list[tuple[int, int, int, int]]:
    """(q, sum, end1, end2) for every reading of s[lo:q], qmin ≤ q ≤ qmax, as three count cells of
    ≤ maxlen digits with sum ≤ cap (s all digits; q is not inside a one-cell group).

    The hot loop of table 三: values are built digit by digit (no int() of slices) and every
    bound that only grows as a cell gets longer ends that cell's loop.
    """
    f.steps_left -= 1
    if f.steps_left <= 0:
        raise SearchTooLarge(f"{len(f.s)} run-together digits admit too many readings")
    dig, nm, forbid = f.digits, f.next_must, f.forbid
    out: list[tuple[int, int, int, int]] = []
    a = 0
    for e1 in range(lo + 1, min(lo + maxlen, qmax - 2) + 1):
        if nm[lo] < e1:
            break  # a required boundary comes first
        a = a * 10 + dig[e1 - 1]
        if a > cap:
            break
        if e1 not in forbid:
            b = 0
            for e2 in range(e1 + 1, min(e1 + maxlen, qmax - 1) + 1):
                if nm[e1] < e2:
                    break
                b = b * 10 + dig[e2 - 1]
                ab = a + b
                if ab > cap:
                    break
                if e2 not in forbid:
                    c = 0
                    for q in range(e2 + 1, min(e2 + maxlen, qmax) + 1):
                        if nm[e2] < q:
                            break
                        c = c * 10 + dig[q - 1]
                        if ab + c > cap:
                            break
                        if q >= qmin and q not in forbid:
                            out.append((q, ab + c, e1, e2))
                        if dig[e2] == 0:
                            break  # "0" is a one-character cell
                if dig[e1] == 0:
                    break
        if dig[lo] == 0:
            break
    return out


def _right3(f: Flat, hi: int, qmin: int, qmax: int, maxlen: int, cap: int) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """{(q, sum): [(end1, end2), …]} for every reading of s[q:hi], qmin ≤ q ≤ qmax, as three count
    cells of ≤ maxlen digits with sum ≤ cap: built from the right (a cell's value only grows as
    it extends to the left, so the cap ends a loop; a leading zero only skips a start)."""
    f.steps_left -= 1
    if f.steps_left <= 0:
        raise SearchTooLarge(f"{len(f.s)} run-together digits admit too many readings")
    dig, nm, forbid = f.digits, f.next_must, f.forbid
    pow10 = _POW10
    out: dict[tuple[int, int], list[tuple[int, int]]] = {}
    c = 0
    for r2 in range(hi - 1, max(qmin + 2, hi - maxlen) - 1, -1):  # the third cell s[r2:hi]
        if nm[r2] < hi:
            break
        c += dig[r2] * pow10[hi - 1 - r2]
        if c > cap:
            break
        if (dig[r2] == 0 and r2 != hi - 1) or r2 in forbid:
            continue
        b = 0
        for r1 in range(r2 - 1, max(qmin + 1, r2 - maxlen) - 1, -1):  # the middle cell s[r1:r2]
            if nm[r1] < r2:
                break
            b += dig[r1] * pow10[r2 - 1 - r1]
            bc = b + c
            if bc > cap:
                break
            if (dig[r1] == 0 and r1 != r2 - 1) or r1 in forbid:
                continue
            a = 0
            for q in range(r1 - 1, max(qmin, r1 - maxlen) - 1, -1):  # the first cell s[q:r1]
                if nm[q] < r1:
                    break
                a += dig[q] * pow10[r1 - 1 - q]
                if a + bc > cap:
                    break
                if (dig[q] == 0 and q != r1 - 1) or q > qmax or q in forbid:
                    continue
                key = (q, a + bc)
                if key in out:
                    out[key].append((r1, r2))
                else:
                    out[key] = [(r1, r2)]
    return out


def _sum_search_6(f: Flat, lo: int, hi: int, target: int, limit: int) -> list[list[int]]:
    """Six cells of s[lo:hi] (all digits) summing to ``target``: meet in the middle.

    Every reading of a prefix as three cells is matched with the readings of the rest as three
    cells whose sum makes up the target. Results in the order of (cut, cell ends).
    """
    maxlen = len(str(target)) if target > 0 else 1
    # each side is three cells of at most maxlen digits: only cuts leaving 3..3·maxlen characters a side
    qmin, qmax = max(lo + 3, hi - 3 * maxlen), min(hi - 3, lo + 3 * maxlen)
    if qmin > qmax:
        return []
    left = _left3(f, lo, qmin, qmax, maxlen, target)
    if not left:
        return []
    right = _right3(f, hi, qmin, qmax, maxlen, target)
    results: list[list[int]] = []
    for q, sm, e1, e2 in left:
        match = right.get((q, target - sm))
        if match:
            for r1, r2 in match:
                results.append([e1, e2, q, r1, r2, hi])
    f.steps_left -= len(results)
    results.sort(key=lambda e: (e[2], e[0], e[1], e[3], e[4]))
    return results[:limit]


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
    digits_only = f.s.isdigit()
    last_must = max([m for m in f.must if m < n], default=0)
    for t in range(n - 1, max(last_must, n - MAX_COUNT_DIGITS) - 1, -1):  # the total: at most 9 digits
        if t in f.forbid:
            continue
        total = _int_at(f, t, n)
        if total is None or not f.mod9_ok(0, t, total):
            continue
        # the parts: k−1 cells of at most len(total) digits each
        if t > (k - 1) * len(str(total)) or t < k - 1:
            continue
        search = _sum_search_6 if k == 7 and digits_only else None  # (_left3/_right3 read digits only)
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
        widest = width * MAX_COUNT_DIGITS  # a block of bounded cells
        for end in range(max(pos + width, n - later * MAX_COUNT_DIGITS), min(n - later, pos + widest) + 1):
            if end in f.forbid:
                continue
            for t in range(end - 1, max(pos + parts, end - MAX_COUNT_DIGITS) - 1, -1):  # totals of ≤ 9 digits
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
    maxrest = _max_rest(kinds)
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
        if n - pos < k - ci or n - pos > maxrest[ci]:
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
                               limit: int = 50, slack: int = 0) -> tuple[int, list[tuple[str | None, ...]]]:
    """When no reading satisfies every block sum: the readings violating the fewest blocks.

    Block boundaries are enumerated. A block is read consistently when it can be
    (``total_splits``); otherwise it is one violation, and

    * if its digits have exactly one reading within the plausibility bounds (five one-digit
      cells, say), that reading stands: the printed numbers, for the checks to flag;
    * if they have several, nothing tells them apart: the block reads as ``width`` ``None``
      cells (unreadable, never a guess such as "everything left in the last cell");
    * if they have none, those boundaries are impossible.

    Returns (violated blocks, readings): every distinct reading of every boundary choice with
    that minimum (or up to ``slack`` more: a row with one source error may well have two, and the
    readings that assume two must then be candidates too), up to ``limit`` (-1 and [] when no
    boundaries work at all), preferred first: the fewest violated blocks, the fewest unreadable
    cells, then the most even block lengths (a typo changes a digit or two; it is shifted
    boundaries that make lopsided blocks), then the most zero cells.
    """
    f = groups if isinstance(groups, Flat) else flatten(groups)
    n = len(f.s)
    unreadable: tuple[str | None, ...] = (None,) * width
    memo: dict[tuple[int, int], tuple[bool, list[tuple[str | None, ...]]]] = {}

    def block(lo: int, hi: int) -> tuple[bool, list[tuple[str | None, ...]]]:
        """(consistent?, readings) of the block s[lo:hi]."""
        key = (lo, hi)
        if key not in memo:
            part = f.sub(lo, hi)
            good = total_splits(part, width, limit=limit)
            if good:
                memo[key] = (True, good)
            else:
                some = list(enumerate_splits(part, ["count"] * width, limit=2))
                memo[key] = (False, some if len(some) <= 1 else [unreadable])
            f.steps_left = part.steps_left
        return memo[key]

    best: int | None = None
    found: dict[tuple[str | None, ...], tuple] = {}  # reading -> its preference key
    widest = width * MAX_COUNT_DIGITS

    def rec(pos: int, b: int, bad: int, acc: list[list[tuple[str | None, ...]]], cuts: tuple[int, ...]) -> None:
        nonlocal best
        if best is not None and bad > best + slack:
            return
        if b == blocks:
            if pos != n:
                return
            if best is None or bad < best:
                best = bad
                for r in [r for r, k in found.items() if k[0] > best + slack]:
                    del found[r]
            lens = [e - a for a, e in zip((0, *cuts), (*cuts, n))]
            mean = sum(lens) / blocks
            spread = sum((x - mean) ** 2 for x in lens)
            for combo in itertools.product(*acc):
                reading = sum(combo, ())
                key = (bad, reading.count(None), spread, -reading.count("0"))
                if key < found.get(reading, (1 << 30,)):
                    found[reading] = key
                if len(found) >= 4 * limit:
                    break
            return
        later = (blocks - b - 1) * width
        if b == blocks - 1:
            ends = [n] if n - pos <= widest else []
        else:
            ends = range(max(pos + width, n - later * MAX_COUNT_DIGITS), min(n - later, pos + widest) + 1)
        for end in ends:
            if end in f.forbid:
                continue
            ok, readings = block(pos, end)
            if readings:
                rec(end, b + 1, bad + (not ok), [*acc, readings], (*cuts, end) if end < n else cuts)

    rec(0, 0, 0, [], ())
    out = sorted(found, key=found.__getitem__)[:limit]
    return (best if best is not None else -1), out
