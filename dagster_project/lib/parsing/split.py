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
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Group:
    text: str
    exact: bool  # True: exactly one cell; False: a run of one or more glued cells


def clean_segment(seg: str) -> str:
    """Keep only what can be cell values: digits, signs, decimal points, symbols, separators."""
    for pat, rep in _UNIT_SUBS:
        if pat.search(seg):
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


def _field_groups(text: str) -> list[Group]:
    fields = re.split(r"[|\t]", text)
    # fields[0] is what is left of the label cell; a closing "|" leaves an empty last field
    fields = [f.strip() for f in fields[1:]]
    if text.rstrip().endswith("|") and fields and fields[-1] == "":
        fields.pop()
    groups = []
    for f in fields:
        if f == "" or _single_cell(f):
            groups.append(Group(f.replace(" ", "").replace(",", "") if _THOUSANDS.match(f.replace(" ", "")) else f.replace(" ", ""), True))
        else:
            groups.extend(_run_groups(f))
            if not f.replace(" ", ""):
                groups.append(Group(BLANK, True))
    return groups


_SINGLE = re.compile(r"^(?:[+-]?\d+(?:\.\d+)?[" + UNITS + r"]?|-|/|\d{1,3}(?:,\d{3})+(?:\.\d+)?[" + UNITS + r"]?)$")


def _single_cell(f: str) -> bool:
    return bool(_SINGLE.match(f.replace(" ", ""))) and (" " not in f.strip())


def _run_groups(text: str) -> list[Group]:
    groups = []
    for tok in text.replace(",", " ,").split():
        if tok.startswith(",") and len(tok) > 1:
            tok = tok[1:]
        if tok in ("-", "/"):
            groups.append(Group(tok, True))
            continue
        if _THOUSANDS.match(tok):
            groups.append(Group(tok.replace(",", ""), True))
            continue
        tok = tok.replace(",", "")
        # a dash glued between digits ("0-0") is a zero symbol unless it signs a number
        parts = re.split(r"(?<=\d)(-)(?!\d)|^(-)(?!\d)", tok)
        for part in parts:
            if not part:
                continue
            if part == "-":
                groups.append(Group("-", True))
            else:
                groups.append(Group(part, False))
    return groups


# ---------------------------------------------------------------- cell values
CellKind = str  # count | signed | decimal | money

_PREFIX_RE = {
    "count": re.compile(r"0|[1-9]\d*"),
    "signed": re.compile(r"[+-]?(?:0|[1-9]\d*)"),
    "decimal": re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?"),
    "money": re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?"),
}


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


def _cell_prefixes(s: str, pos: int, kind: CellKind) -> Iterator[int]:
    """End positions of the cells that can start at s[pos] (longest last)."""
    n = len(s)
    i = pos
    if kind == "signed" and i < n and s[i] in "+-":
        i += 1
    if i >= n or not s[i].isdigit():
        return
    if s[i] == "0":
        ends = [i + 1]
    else:
        ends = []
        j = i
        while j < n and s[j].isdigit():
            j += 1
            ends.append(j)
    for e in ends:
        if kind in ("decimal", "money") and e < n and s[e] == ".":
            # an integer part followed by "." must take a fraction
            f = e + 1
            while f < n and s[f].isdigit():
                f += 1
                yield from _with_unit(s, f)
            continue
        yield from _with_unit(s, e)


def _with_unit(s: str, e: int) -> Iterator[int]:
    if e < len(s) and s[e] in UNITS:
        yield e + 1
    else:
        yield e


def _one_cell_per_char(groups: list[Group], k: int) -> tuple[str, ...] | None:
    """When the runs hold exactly as many characters as cells are left, the only reading is one digit a cell."""
    n = sum(1 if g.exact else len(g.text) for g in groups)
    if n != k or any(not g.exact and not g.text.isdigit() for g in groups):
        return None
    out: list[str] = []
    for g in groups:
        out.extend([g.text] if g.exact else list(g.text))
    return tuple(out)


def enumerate_splits(groups: list[Group], kinds: list[CellKind], limit: int = 200_000) -> Iterator[tuple[str, ...]]:
    """Every way to read the groups as exactly ``len(kinds)`` cells (bounded by ``limit``)."""
    k = len(kinds)
    if len(groups) > k:
        return
    trivial = _one_cell_per_char(groups, k)
    if trivial is not None:
        yield trivial
        return
    count = [0]
    out: list[str] = []

    def rec(gi: int, pos: int, ci: int) -> Iterator[tuple[str, ...]]:
        if count[0] >= limit:
            return
        if gi == len(groups):
            if ci == k:
                count[0] += 1
                yield tuple(out)
            return
        g = groups[gi]
        # cells still needed must fit: every remaining group needs at least one
        if k - ci < len(groups) - gi:
            return
        if g.exact:
            if pos != 0:
                return
            out.append(g.text)
            yield from rec(gi + 1, 0, ci + 1)
            out.pop()
            return
        if ci >= k:
            return
        s = g.text
        for e in _cell_prefixes(s, pos, kinds[ci]):
            out.append(s[pos:e])
            if e == len(s):
                yield from rec(gi + 1, 0, ci + 1)
            else:
                yield from rec(gi, e, ci + 1)
            out.pop()

    yield from rec(0, 0, 0)


def total_splits(groups: list[Group], k: int, limit: int = 100_000) -> list[tuple[str, ...]]:
    """Readings of a table 三 row as k count cells whose last equals the sum of the others (T3.H2).

    The last cell is a suffix of the last group; the first k−1 cells are searched with the
    remaining sum as a bound (each cell ≤ what is left), so long rows stay cheap.
    """
    if not groups or len(groups) > k:
        return []
    trivial = _one_cell_per_char(groups, k)
    if trivial is not None:
        vals = [cell_value(x, "count") for x in trivial]
        return [trivial] if all(isinstance(v, int) for v in vals) and sum(vals[:-1]) == vals[-1] else []
    results: list[tuple[str, ...]] = []
    last = groups[-1]
    if last.exact:
        tail_options = [(last.text, groups[:-1], None)]
    else:
        s = last.text
        tail_options = []
        for start in range(len(s) - 1, -1, -1):
            t = s[start:]
            if not t.isdigit() or (len(t) > 1 and t[0] == "0"):
                continue
            rest = groups[:-1] + ([Group(s[:start], False)] if start > 0 else [])
            tail_options.append((t, rest, None))
    for t, rest, _ in tail_options:
        try:
            target = int(cell_value(t, "count") or 0)
        except ValueError:
            continue
        if len(rest) > k - 1:
            continue
        _sum_search(rest, k - 1, target, t, results, limit)
        if len(results) >= limit:
            break
    return results


def _sum_search(groups: list[Group], k: int, target: int, tail: str, results: list, limit: int) -> None:
    out: list[str] = []
    ng = len(groups)
    remaining_chars = [0] * (ng + 1)
    for i in range(ng - 1, -1, -1):
        remaining_chars[i] = remaining_chars[i + 1] + (1 if groups[i].exact else len(groups[i].text))

    def rec(gi: int, pos: int, ci: int, left: int) -> None:
        if len(results) >= limit:
            return
        if gi == ng:
            if ci == k and left == 0:
                results.append((*out, tail))
            return
        cells_left = k - ci
        if cells_left < ng - gi:
            return
        g = groups[gi]
        if g.exact:
            try:
                v = cell_value(g.text, "count") or 0
            except ValueError:
                return
            if not isinstance(v, int) or v > left:
                return
            out.append(g.text)
            rec(gi + 1, 0, ci + 1, left - v)
            out.pop()
            return
        s = g.text
        chars_left = remaining_chars[gi] - pos
        maxlen = max(1, len(str(left)))
        if chars_left > cells_left * maxlen:
            return
        for e in _cell_prefixes(s, pos, "count"):
            if e - pos > maxlen:
                break
            v = int(s[pos:e])
            if v > left:
                break
            out.append(s[pos:e])
            if e == len(s):
                rec(gi + 1, 0, ci + 1, left - v)
            else:
                rec(gi, e, ci + 1, left - v)
            out.pop()

    rec(0, 0, 0, target)


def best_scored_splits(
    groups: list[Group], kinds: list[CellKind], score: Callable[[int, str], int], keep: int = 4
) -> tuple[int, list[tuple[str, ...]]]:
    """The readings maximising Σ score(cell index, cell) (up to ``keep`` of them), by dynamic programming.

    Used when no reading satisfies a row's own sum: each cell is scored by how many column
    checks it satisfies given the other rows.
    """
    k = len(kinds)
    if len(groups) > k:
        return -1, []
    memo: dict[tuple[int, int, int], tuple[int, list[tuple[str, ...]]]] = {}

    def rec(gi: int, pos: int, ci: int) -> tuple[int, list[tuple[str, ...]]]:
        key = (gi, pos, ci)
        if key in memo:
            return memo[key]
        if gi == len(groups):
            res = (0, [()]) if ci == k else (-(10**9), [])
            memo[key] = res
            return res
        if ci >= k or k - ci < len(groups) - gi:
            memo[key] = (-(10**9), [])
            return memo[key]
        g = groups[gi]
        best, sols = -(10**9), []
        options: list[tuple[str, int, int]] = []
        if g.exact:
            if pos == 0:
                options.append((g.text, gi + 1, 0))
        else:
            s = g.text
            for e in _cell_prefixes(s, pos, kinds[ci]):
                options.append((s[pos:e], gi + 1 if e == len(s) else gi, 0 if e == len(s) else e))
        for cell, ngi, npos in options:
            sub_score, sub_sols = rec(ngi, npos, ci + 1)
            if not sub_sols:
                continue
            total = sub_score + score(ci, cell)
            if total > best:
                best, sols = total, [(cell, *t) for t in sub_sols[:keep]]
            elif total == best and len(sols) < keep:
                sols.extend((cell, *t) for t in sub_sols[: keep - len(sols)])
        memo[key] = (best, sols)
        return memo[key]

    best, sols = rec(0, 0, 0)
    return best, sols


def block_sum_splits(groups: list[Group], blocks: int, width: int, limit: int = 10_000) -> list[tuple[str, ...]]:
    """Readings of table 四's run as ``blocks`` blocks of ``width`` count cells, each ending in its sum."""
    results: list[tuple[str, ...]] = []
    out: list[str] = []
    ng = len(groups)
    k = blocks * width
    trivial = _one_cell_per_char(groups, k)
    if trivial is not None:
        v = [int(x) if x.isdigit() else cell_value(x, "count") for x in trivial]
        ok = all(sum(v[b * width: b * width + width - 1]) == v[b * width + width - 1] for b in range(blocks))
        return [trivial] if ok else []
    chars_after = [0] * (ng + 1)
    for i in range(ng - 1, -1, -1):
        chars_after[i] = chars_after[i + 1] + (1 if groups[i].exact else len(groups[i].text))

    def rec(gi: int, pos: int, ci: int, acc: int) -> None:
        if len(results) >= limit:
            return
        if gi == ng:
            if ci == k:
                results.append(tuple(out))
            return
        if ci >= k or k - ci < ng - gi:
            return
        left = chars_after[gi] - pos  # characters still to read
        block_left = width - 1 - ci % width  # part cells before this block's total
        # this block still needs its parts (≥1 char each) and a total of ≥ len(str(acc)) chars;
        # later blocks need ≥1 char a cell
        if left < block_left + len(str(acc)) + (k - ci - block_left - 1):
            return
        g = groups[gi]
        is_total = ci % width == width - 1
        if g.exact:
            if pos:
                return
            try:
                v = cell_value(g.text, "count")
            except ValueError:
                return
            if not isinstance(v, int):
                return
            if is_total and v != acc:
                return
            out.append(g.text)
            rec(gi + 1, 0, ci + 1, 0 if is_total else acc + v)
            out.pop()
            return
        s = g.text
        if is_total:
            want = str(acc)
            if s.startswith(want, pos):
                e = pos + len(want)
                out.append(want)
                if e == len(s):
                    rec(gi + 1, 0, ci + 1, 0)
                else:
                    rec(gi, e, ci + 1, 0)
                out.pop()
            return
        for e in _cell_prefixes(s, pos, "count"):
            v = int(s[pos:e])
            out.append(s[pos:e])
            if e == len(s):
                rec(gi + 1, 0, ci + 1, acc + v)
            else:
                rec(gi, e, ci + 1, acc + v)
            out.pop()

    rec(0, 0, 0, 0)
    return results
