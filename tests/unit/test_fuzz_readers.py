"""Fuzz tests: ``parse_bytes`` never raises on damaged input and always answers per CONTRACT §3.

Inputs: the real reports in ``../shared/real-reports`` (read in place, never copied into the
repository; skipped when absent) and synthetic reports in every format, mutated by byte flips,
truncation, chunk deletion/duplication, wrong encodings; plus hand-made garbage (empty files,
random binary, a zip that is not a docx, truncated PDFs/DOCX, pathological digit runs).
Then ``gongkai parse DIR --jsonl`` over a folder of good and bad files must exit 0 and print
exactly one JSON object per file.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from devtools.synth import FORMATS
from devtools.synth.case import make_case
from devtools.synth.compare import STATUSES
from tests.conftest import REAL_REPORTS

REAL_DIR = Path(os.environ.get("GONGKAI_REAL_REPORTS", REAL_REPORTS))  # ../shared/real-reports beside the clone
CONTRACT_KEYS = {"source_path", "source_format", "status", "error", "agency_name", "report_year", "template_version",
                 "publish_date", "t2", "t3", "t4", "ambiguous", "suggested_repair", "checks"}


def _api():
    try:
        from dagster_project.lib.parsing import api
    except ImportError as exc:  # the parser is developed in parallel
        pytest.skip(f"parser API not available: {exc}")
    return api


def _real_files() -> list[Path]:
    if not REAL_DIR.is_dir():
        return []
    return sorted(p for p in REAL_DIR.glob("*/page.*") if p.suffix in (".txt", ".html"))


def _seed_inputs() -> list[tuple[str, bytes]]:
    """(name, bytes) of the un-mutated inputs: the real reports and one synthetic file per format."""
    out = [(f"{p.parent.name}{p.suffix}", p.read_bytes()) for p in _real_files()]
    for i, fmt in enumerate(FORMATS):
        case = make_case(1000 + i, fmt, ("gov2019", "gov2021")[i % 2])
        out.append((f"synth_{fmt}{Path(case.name).suffix}", case.data))
    return out


SEED_INPUTS = _seed_inputs()


def _assert_valid(result: object, what: str) -> dict:
    assert isinstance(result, dict), what
    assert result.get("status") in STATUSES, (what, result.get("status"))
    missing = CONTRACT_KEYS - set(result)
    assert not missing, (what, missing)
    if result["status"] in ("unreadable", "not_a_report"):
        assert isinstance(result.get("error"), str) and result["error"].strip(), (what, result.get("error"))
    else:
        assert isinstance(result.get("checks"), list), what
        assert result["template_version"] in ("gov2019", "gov2021", "pre2019", None), what
    json.dumps(result, ensure_ascii=False, allow_nan=False)  # must serialise as strict JSON
    return result


def _parse(data: bytes, name: str) -> dict:
    try:
        result = _api().parse_bytes(data, name)
    except Exception as exc:  # noqa: BLE001 - the property under test is "never raises"
        pytest.fail(f"parse_bytes raised {type(exc).__name__}: {exc} on {name!r} ({len(data)} bytes, "
                    f"head {data[:60]!r})")
    return _assert_valid(result, f"{name!r} {len(data)} bytes")


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random damage: flips, truncation, deleted/duplicated chunk, re-encoding or splicing."""
    kind = rng.choice(("flip", "truncate", "delete", "duplicate", "reencode", "splice", "zero_fill", "multi"))
    b = bytearray(data)
    n = len(b)
    if n == 0:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
    if kind == "flip":
        for _ in range(rng.randint(1, 20)):
            b[rng.randrange(n)] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del b[rng.randrange(n):]
    elif kind == "delete":
        i = rng.randrange(n)
        del b[i:i + rng.randint(1, max(1, n // 4))]
    elif kind == "duplicate":
        i = rng.randrange(n)
        chunk = b[i:i + rng.randint(1, max(1, n // 4))]
        j = rng.randrange(n)
        b[j:j] = chunk
    elif kind == "reencode":
        text = data.decode("utf-8", errors="replace")
        enc = rng.choice(("utf-16", "utf-16-be", "gb18030", "big5", "latin-1", "shift_jis", "utf-32"))
        return text.encode(enc, errors="replace")
    elif kind == "splice":
        other = rng.choice(SEED_INPUTS)[1]
        i, j = rng.randrange(n), rng.randrange(max(1, len(other)))
        return bytes(b[:i]) + other[j:]
    elif kind == "zero_fill":
        i = rng.randrange(n)
        k = min(n - i, rng.randint(1, 4096))
        b[i:i + k] = b"\x00" * k
    else:
        out = data
        for _ in range(3):
            out = mutate(out, rng)
        return out
    return bytes(b)


FUZZ = settings(max_examples=60, deadline=None, derandomize=True, phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("index", range(len(SEED_INPUTS)), ids=[n for n, _ in SEED_INPUTS])
@FUZZ
@given(seed=st.integers(0, 2**31 - 1))
def test_mutated_inputs_never_crash(index: int, seed: int) -> None:
    name, data = SEED_INPUTS[index]
    _parse(mutate(data, random.Random(seed)), name)


@pytest.mark.parametrize("index", range(len(SEED_INPUTS)), ids=[n for n, _ in SEED_INPUTS])
def test_unmutated_inputs_are_reports(index: int) -> None:
    name, data = SEED_INPUTS[index]
    result = _parse(data, name)
    assert result["status"] in ("ok", "invariant_errors"), (name, result["status"], result.get("error"))
    assert result["t3"] and result["t4"], name


@pytest.mark.parametrize("index", range(len(SEED_INPUTS)), ids=[n for n, _ in SEED_INPUTS])
@pytest.mark.parametrize("wrong_ext", [".txt", ".html", ".docx", ".pdf", ".bin", ""])
def test_wrong_extension_never_crashes(index: int, wrong_ext: str) -> None:
    name, data = SEED_INPUTS[index]
    _parse(data, "report" + wrong_ext)


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in files.items():
            z.writestr(n, d)
    return buf.getvalue()


def _garbage() -> list[tuple[str, bytes, set[str]]]:
    """(name, bytes, allowed statuses) of hand-made bad files."""
    rng = random.Random(99)
    pdf = make_case(5, "pdf", "gov2021").data
    docx = make_case(6, "docx", "gov2019").data
    html = make_case(7, "html", "gov2021").data
    bad = {"unreadable", "not_a_report"}
    out: list[tuple[str, bytes, set[str]]] = []
    for ext in (".txt", ".html", ".htm", ".docx", ".pdf", ".doc", ""):
        out.append((f"empty{ext}", b"", bad))
        out.append((f"random{ext}", bytes(rng.getrandbits(8) for _ in range(5000)), bad))
        out.append((f"nul{ext}", b"\x00" * 3000, bad))
    out += [
        ("whitespace.txt", b" \n\t\r\n" * 100, bad),
        ("bom_only.txt", b"\xef\xbb\xbf", bad),
        ("not_docx.docx", _zip({"hello.txt": b"hi", "word/other.xml": b"<x/>"}), bad),
        ("empty_zip.docx", _zip({}), bad),
        ("docx_bad_xml.docx", _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document><w:body>"}),
         bad),
        ("truncated.pdf", pdf[: len(pdf) // 2], bad | {"ok", "invariant_errors"}),
        ("header_only.pdf", b"%PDF-1.4\n%%EOF\n", bad),
        ("truncated.docx", docx[: len(docx) // 3], bad),
        ("pdf_named.html", pdf, bad | {"ok", "invariant_errors"}),
        ("html_named.pdf", html, bad | {"ok", "invariant_errors"}),
        ("unrelated.html", "<html><head><meta charset='utf-8'></head><body><h1>今日天气</h1><p>晴，12℃</p>"
                           "</body></html>".encode(), {"not_a_report"}),
        ("unrelated.txt", ("关于开展2023年度安全生产检查的通知\n各单位：请于3月底前完成自查。\n" * 5).encode(),
         {"not_a_report"}),
        ("notice.txt", "关于做好2023年政府信息公开工作年度报告编制发布工作的通知\n各区县人民政府：现将有关事项通知如下。"
                       .encode(), {"not_a_report", "unreadable"}),
        ("utf16.txt", make_case(8, "txt_tabs", "gov2021").data.decode().encode("utf-16"),
         {"ok", "invariant_errors", "unreadable", "not_a_report"}),
        ("deep.html", b"<div>" * 5000 + "报告".encode() + b"</div>" * 5000, bad),
        ("huge_line.txt", ("一、本年新收政府信息公开申请数量" + "7" * 400 + "\n").encode(), bad | {"invariant_errors"}),
        ("long_digits_table.txt", _long_digit_report(), bad | {"ok", "invariant_errors"}),
    ]
    return out


def _long_digit_report() -> bytes:
    """A txt_concat report whose t3/t4 digit runs are replaced by 45-digit runs (7 cells of 6-7 digits) (split blow-up guard)."""
    text = make_case(3, "txt_concat", "gov2021", options={"one_line": False, "twice": False}).data.decode()
    rng = random.Random(3)
    lines = []
    for line in text.splitlines():
        stripped = line.rstrip("0123456789")
        if stripped != line and len(line) - len(stripped) >= 7:
            line = stripped + "".join(rng.choice("123456789") for _ in range(45))
        lines.append(line)
    return "\n".join(lines).encode()


GARBAGE = _garbage()


@pytest.mark.parametrize("name,data,allowed", GARBAGE, ids=[g[0] for g in GARBAGE])
def test_garbage_files(name: str, data: bytes, allowed: set[str]) -> None:
    t0 = time.perf_counter()
    result = _parse(data, name)
    elapsed = time.perf_counter() - t0
    assert result["status"] in allowed, (name, result["status"], result.get("error"))
    assert elapsed < 30, f"{name}: {elapsed:.1f}s"  # pathological inputs must not hang the parser


# ---------------------------------------------------------------- the CLI over a folder
def _gongkai() -> Path:
    exe = Path(sys.executable).parent / "gongkai"
    if not exe.exists():
        pytest.skip("gongkai console script not installed")
    return exe


def test_cli_parse_folder_with_bad_files_prints_one_object_per_file(tmp_path: Path) -> None:
    _api()
    exe = _gongkai()
    files: dict[str, bytes] = {}
    for i, fmt in enumerate(FORMATS):
        case = make_case(200 + i, fmt, ("gov2019", "gov2021")[i % 2])
        files[f"good_{i}_{fmt}{Path(case.name).suffix}"] = case.data
    files["bad/empty.pdf"] = b""
    files["bad/random.docx"] = bytes(random.Random(1).getrandbits(8) for _ in range(2000))
    files["bad/not_docx.docx"] = _zip({"a.txt": b"x"})
    files["bad/truncated.pdf"] = make_case(9, "pdf", "gov2021").data[:700]
    files["bad/binary.html"] = bytes(range(256)) * 10
    files["bad/中文 名字.txt"] = "不是年报".encode("gb18030")
    for rel, data in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    proc = subprocess.run([str(exe), "parse", str(tmp_path), "--jsonl"], capture_output=True, timeout=600,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    lines = [ln for ln in proc.stdout.decode("utf-8").splitlines() if ln.strip()]
    objs = [json.loads(ln) for ln in lines]
    assert len(objs) == len(files), [o.get("source_path") for o in objs]
    by_name = {Path(o["source_path"]).name: o for o in objs}
    assert set(by_name) == {Path(r).name for r in files}
    for o in objs:
        _assert_valid(o, o.get("source_path"))
    for rel in files:
        o = by_name[Path(rel).name]
        if rel.startswith("bad/"):
            assert o["status"] in ("unreadable", "not_a_report"), (rel, o["status"])
        else:
            assert o["status"] in ("ok", "invariant_errors"), (rel, o["status"], o.get("error"))
