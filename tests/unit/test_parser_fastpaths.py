"""The parser's fast paths give exactly what the plain algorithms give.

Each speed-up (offset maps built with str methods, the meet-in-the-middle sum search, memoised
rows, quick pre-tests before regexes, a shorter <meta> walk, cached path resolution, skipping a
check the solver already proved) is compared here with a straightforward reference on random and
generated inputs.
"""

from __future__ import annotations

import os
import random
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.lib.parsing import checks, readers, split as sp, tables
from dagster_project.lib.parsing.api import parse_bytes, parse_file
from devtools.synth.case import make_case
from devtools.synth.render import FORMATS

# characters that make offsets interesting: every kind of whitespace \s knows, pipes, CJK, digits
_CHARS = ["a", "7", "中", "。", " ", "|", "\n", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2005", "\u3000",
          "\xa0", "\u200b", "  ", "| ", " |"]
TEXTS = st.lists(st.sampled_from(_CHARS), max_size=60).map("".join)


# ---------------------------------------------------------------- Compact
@settings(max_examples=400, deadline=None, derandomize=True)
@given(TEXTS)
def test_compact_offsets_match_a_regex_scan(text):
    chunks = [(m.start(), m.group()) for m in re.finditer(r"[^\s|]+", text)]
    compact = "".join(c for _, c in chunks)
    # reference: original offset of every compact character
    ref = [start + k for start, c in chunks for k in range(len(c))]
    cx = tables.Compact(text)
    assert cx.c == compact
    assert [cx.orig(i) for i in range(len(compact))] == ref
    assert cx.orig(len(compact)) == len(text)
    assert [cx.orig_end(i) for i in range(1, len(compact) + 1)] == [r + 1 for r in ref]


# ---------------------------------------------------------------- text normalisation
def _normalize_reference(text: str) -> str:
    """NFKC of every run of non-ASCII, non-CJK characters after the space and entity rules (the
    algorithm normalize_text implements with fewer passes)."""
    text = text.replace("\r\n", "\n")
    text = re.sub(r"&(?:nbsp|ensp|emsp|#160|#12288);", " ", text, flags=re.I)
    text = re.sub("[\u00a0\u3000\u2002\u2003\u2009\r\x0b\x0c]", " ", text)
    text = re.sub("[\u200b\ufeff]", "", text)
    return re.sub(r"[^\x00-\x7f\u4e00-\u9fff]+", lambda m: unicodedata.normalize("NFKC", m.group()), text)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(list("ab 1\n\r中（），：；０１９．－％！？、。“”《》—…①ｶﾞ\u00a0\u3000\u200b\ufeff\u0301e\uf900\u2002&")
                                + ["&nbsp;", "\r\n", "&#12288;"]), max_size=40).map("".join))
def test_normalize_text_matches_the_reference(text):
    assert readers.normalize_text(text) == _normalize_reference(text)


_BAD = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd\ue000-\uf8ff]")


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(["a", "中", " ", "\n", "\t", "\r", "\x00", "\x07", "\x0b", "\x1f", "\x7f", "\ufffd",
                                 "\ue000", "\u3000", "\xa0", "\u200b"]), max_size=60).map("".join))
def test_texty_check_agrees_with_the_ratio_rule(text):
    sample = text[:4000]
    if not sample.strip():
        expect = "the file is empty"
    elif len(_BAD.findall(sample)) / len(sample) > 0.05:
        expect = "binary data, not text"
    else:
        expect = None
    try:
        readers._check_texty(text)
        got = None
    except readers.ReadError as exc:
        got = str(exc)
    assert got == expect


# ---------------------------------------------------------------- digit splits
def _order(cells: tuple[str, ...]) -> tuple:
    """total_splits' documented order: shorter totals first, then by cell ends (3rd, 1st, 2nd, 4th, 5th)."""
    ends = [sum(len(c) for c in cells[: i + 1]) for i in range(len(cells))]
    return len(cells[-1]), ends[2], ends[0], ends[1], ends[3], ends[4]


def _sum_reference(groups: list[sp.Group]) -> list[tuple[str, ...]]:
    """Every reading as 7 count cells whose last is the sum of the others, by the plain depth-first
    search (``split._sum_search``) for each possible total."""
    f = sp.flatten(groups)
    n = len(f.s)
    out = []
    for t in range(1, n):
        total = sp._int_at(f, t, n)
        if total is None or any(m < n and m > t for m in f.must) or t in f.forbid:
            continue
        for ends in sp._sum_search(f, 0, t, 6, total, 10**6):
            bounds = [0, *ends]
            out.append(tuple(f.cell(a, b) for a, b in zip(bounds, bounds[1:])) + (f.cell(t, n),))
    return out


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.just(0), st.integers(1, 9), st.integers(10, 999), st.integers(1000, 99999)),
                min_size=6, max_size=6),
       st.integers(-3, 3), st.booleans())
def test_six_cell_sum_search_matches_a_plain_search(parts, noise, space):
    row = [*parts, max(0, sum(parts) + noise)]
    text = "".join(map(str, row))
    if space and len(text) > 3:
        text = text[:3] + " " + text[3:]  # a required boundary
    groups = sp.segment_groups(text)[0]
    got = sp.total_splits(groups, 7)
    assert sorted(got) == sorted(_sum_reference(groups))
    assert got == sorted(got, key=_order)
    if len(text) <= 12:  # small enough to list every reading
        every = [s for s in sp.enumerate_splits(groups, ["count"] * 7, limit=10**6)
                 if sum(int(x) for x in s[:-1]) == int(s[-1])]
        assert sorted(got) == sorted(every)


# ---------------------------------------------------------------- memoised rows
def test_memoised_groups_are_fresh_lists():
    for raw in (" | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n| ", "\n0\n0\n0\n0\n0\n0\n0\n"):
        first, _ = sp.segment_groups(raw)
        first.pop()
        again, _ = sp.segment_groups(raw)
        assert len(again) == 7  # the caller's change did not reach the memo


def test_count_values_match_cell_value():
    cells = ["0", "12", "", "-", "/", "007", "3.5", "1" + sp.YUAN, "999999999"]
    assert sp.count_values(cells) == tuple(sp.cell_value(c, "count") for c in cells)
    with pytest.raises(ValueError):
        sp.count_values(["1a"])


# ---------------------------------------------------------------- checks the solver already proved
@pytest.mark.parametrize("fmt", [f for f in FORMATS if f not in ("docx", "pdf")])
def test_consistent_table_three_has_no_t3_errors(fmt):
    seen = 0
    for seed in range(30):
        case = make_case(seed, fmt, None, scale=("small", "medium", "large")[seed % 3], inject=seed % 3 == 0)
        cx = tables.Compact(readers.read_document(case.data, case.name).text)
        raw = tables.locate_t3(cx)
        solved = tables.solve_t3(raw)
        if solved is not None and solved.consistent:
            seen += 1
            assert checks.t3_checks(solved.values, raw.version) == []
        if case.injected is not None and case.injected.table == "t3" and solved is not None:
            assert not solved.consistent  # a broken table is never marked consistent
    assert seen  # the flag is actually set on clean reports


# ---------------------------------------------------------------- narrative regexes
_OLD_LITIG = re.compile(r"(?<!复议)(?:行政)?诉讼(?:案件)?\s*(\d{1,7})\s*(?:件|起)")
_NARRATIVE_PARTS = ["收到", "受理", "接收", "办结", "答复", "申请", "共", "共计", "合计", "12", "件", "起", "3", " ", "。",
                    ";", ",", "\n", "复议", "行政", "诉讼", "案件", "x"]


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_NARRATIVE_PARTS), max_size=25).map("".join))
def test_narrative_searches_match_plain_regex_search(text):
    for pattern, heads in ((checks._RECEIVED2, ("收到", "受理", "接收")), (checks._ANSWERED, ("办结", "答复"))):
        a, b = pattern.search(text), checks._search_from(pattern, text, heads)
        assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups()))
    a, b = _OLD_LITIG.search(text), checks._litigation_mention(text)
    assert (a and a.group(1)) == (b and b.group(1))


# ---------------------------------------------------------------- HTML <meta> and <title>
def _meta_reference(data: bytes) -> dict:
    from lxml import etree

    root = etree.fromstring(data, readers._html_parser())
    meta = {}
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or "").strip()
        if name and el.get("content"):
            meta[name.lower()] = readers.normalize_text(el.get("content"))
    t = root.find(".//title")
    if t is not None and "".join(t.itertext()).strip():
        meta["title"] = readers.normalize_text("".join(t.itertext()).strip())
    return meta


@pytest.mark.parametrize("html", [
    b"<html><head><title>T1</title><meta name=a content=x></head><body><title>T2</title>"
    b"<meta name=b content=y><p>hi</p></body></html>",
    b"<body><meta property=og content=z><title> </title><title>Real</title><p>x</p></body>",
    b"<html><head><META NAME=A CONTENT=1><title>x</title></head><body><p>a</p><mEta name=c content=2></body></html>",
    b"<html><head><title>x</title><script>var s = '<meta name=q content=r>'</script></head><body><p>a</p></body></html>",
    b"<title>t</title><meta name=z content=w><p>x</p>",
    b"<html><head><meta charset=utf-8></head><body><p>no title</p></body></html>",
    "<html><head><title>测试（一）</title><meta name=k content='１２'></head><body><p>x</p></body></html>".encode(),
])
def test_meta_and_title_match_a_full_tree_walk(html):
    assert readers.read_html(html).meta == _meta_reference(html)


# ---------------------------------------------------------------- source paths
def test_source_path_matches_pathlib(tmp_path, monkeypatch):
    (tmp_path / "real").mkdir()
    (tmp_path / "land" / "sub").mkdir(parents=True)
    (tmp_path / "real" / "a.txt").write_text("x")
    (tmp_path / "land" / "b.txt").write_text("y")
    (tmp_path / "land" / "sub" / "c.txt").write_text("z")
    os.symlink(tmp_path / "real" / "a.txt", tmp_path / "land" / "link.txt")
    os.symlink(tmp_path / "real", tmp_path / "land" / "dirlink")
    monkeypatch.chdir(tmp_path)
    cases = [("land/b.txt", "land"), ("land/link.txt", "land"), ("land/sub/c.txt", "land"),
             ("land/../land/b.txt", "land"), ("land/dirlink/a.txt", "land"), ("real/a.txt", "land"),
             (str(tmp_path / "land" / "b.txt"), "land/"), ("land/missing.txt", "land"), ("land", "land")]
    for path, root in cases:
        p = Path(path)
        try:
            want = str(p.resolve().relative_to(Path(root).resolve()))
        except ValueError:
            want = str(p)
        assert parse_file(path, root)["source_path"] == want, (path, root)


def test_parse_bytes_is_deterministic_across_memo_states():
    """The memos only ever return what a fresh computation would: the same reports parsed with
    the memos emptied, then again (in another order) with them warm, give the same results."""
    cases = [make_case(seed, fmt, None) for seed in range(6) for fmt in ("txt_concat", "txt_lines", "html")]
    for cache in (sp._FIELD_LINE_CACHE, sp._RUN_CACHE, sp._EXACT_GROUPS, sp._PLAIN_RUNS, sp._COUNT_CACHE,
                  tables._DIRECT_ROWS, tables._ONE_CELL_SEEN):
        cache.clear()
    cold = {i: parse_bytes(c.data, c.name) for i, c in enumerate(cases)}
    order = random.Random(1).sample(range(len(cases)), len(cases))
    warm = {i: parse_bytes(cases[i].data, cases[i].name) for i in order}
    assert warm == cold
