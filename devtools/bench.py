"""Benchmark: parse throughput per format and end-to-end pipeline time (``make bench``).

    python -m devtools.bench                 # 400 files per format, 3 repeats
    python -m devtools.bench --n 500 --repeat 5
    python -m devtools.bench --run           # also time `gongkai run` on 1,000 and 10,000 reports

Throughput is measured in-process on one core: a ``parse_file`` loop over a generated corpus in a
temporary folder, repeated; the median, min and max reports/s are printed with the ratio to the
target (≥ 500 reports/s per core for text and HTML). :func:`write_corpus` builds landing folders
(clean, broken, unreadable and duplicate files) for other tests and benchmarks.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from devtools.synth.case import make_case
from devtools.synth.render import EXTENSION, FORMATS, render
from devtools.synth.truth import InjectedError, Truth

TARGET_PER_CORE = 500.0  # reports/s, text and HTML formats
TARGET_FORMATS = {"txt_concat", "txt_lines", "txt_tabs", "txt_spaces", "txt_pipes", "html", "html_gbk"}


@dataclass
class CorpusFile:
    """One file written by :func:`write_corpus`."""

    path: str  # relative to the corpus folder
    kind: str  # clean | broken | unreadable | duplicate_copy | duplicate_rerender
    fmt: str | None
    seed: int | None
    truth: Truth | None  # what a correct parser returns (None for unreadable files)
    injected: InjectedError | None = None
    duplicate_of: str | None = None


def _garbage(rng: random.Random, i: int) -> tuple[bytes, str]:
    """An unreadable file: empty, random bytes, a zip that is not a docx, a truncated PDF, ..."""
    kind = rng.choice(("empty", "random", "zip", "pdf_cut", "nul", "binary_html"))
    if kind == "empty":
        return b"", rng.choice((".pdf", ".html", ".docx", ".txt"))
    if kind == "random":
        return rng.randbytes(rng.randint(100, 20000)), rng.choice((".pdf", ".docx", ".doc"))
    if kind == "zip":
        import io
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(zipfile.ZipInfo("readme.txt", date_time=(2024, 1, 1, 0, 0, 0)), "not a word document")
        return buf.getvalue(), ".docx"
    if kind == "pdf_cut":
        data = make_case(10_000_000 + i, "pdf", "gov2021").data
        return data[: rng.randint(9, 400)], ".pdf"
    if kind == "nul":
        return b"\x00" * rng.randint(1, 4000), ".txt"
    return rng.randbytes(3000), ".html"


def write_corpus(
    dir: str | os.PathLike,
    n: int,
    formats: tuple[str, ...] | list[str] = FORMATS,
    seed: int = 0,
    *,
    broken_share: float = 0.0,
    unreadable_share: float = 0.0,
    duplicate_share: float = 0.0,
    scale: str = "mixed",
) -> list[CorpusFile]:
    """Write ``n`` report files into ``dir`` (created) and return what each one is.

    - clean: a consistent report (status ``ok`` expected);
    - broken: one injected cell error (``invariant_errors`` expected, quarantined by the warehouse);
    - unreadable: empty/garbage/truncated files (``unreadable``/``not_a_report`` expected);
    - duplicates: half byte copies of an earlier file under another name, half re-renders of an
      earlier report (same agency and year, another format or style).
    Formats rotate through ``formats``; both templates occur. Deterministic for a given ``seed``.
    Nothing but report files is written into ``dir`` (the manifest is the return value).
    """
    root = Path(dir)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    n_unread = round(n * unreadable_share)
    n_dup = round(n * duplicate_share)
    n_broken = round(n * broken_share)
    n_reports = n - n_unread - n_dup
    if n_reports <= 0 and n_dup:
        raise ValueError("duplicates need at least one original report")
    kinds = ["broken"] * min(n_broken, n_reports) + ["clean"] * max(0, n_reports - n_broken)
    rng.shuffle(kinds)
    out: list[CorpusFile] = []
    originals: list[CorpusFile] = []
    width = max(6, len(str(n)))
    idx = 0
    for k, kind in enumerate(kinds):
        fmt = formats[k % len(formats)]
        case_seed = seed * 1_000_003 + k
        case = make_case(case_seed, fmt, None, scale=scale, inject=kind == "broken")
        rel = f"{idx:0{width}d}_{fmt}{EXTENSION[fmt]}"
        (root / rel).write_bytes(case.data)
        f = CorpusFile(rel, kind, fmt, case_seed, case.truth, case.injected)
        out.append(f)
        originals.append(f)
        idx += 1
    for j in range(n_dup):
        orig = rng.choice(originals)
        if j % 2 == 0:
            rel = f"{idx:0{width}d}_copy_of_{Path(orig.path).stem}{Path(orig.path).suffix}"
            shutil.copyfile(root / orig.path, root / rel)
            out.append(CorpusFile(rel, "duplicate_copy", orig.fmt, orig.seed, orig.truth, orig.injected, orig.path))
        else:
            assert orig.truth is not None
            fmt = rng.choice([f for f in formats if f != orig.fmt] or list(formats))
            data, _ = render(orig.truth, fmt, random.Random(rng.getrandbits(32)))
            rel = f"{idx:0{width}d}_rerender_{fmt}{EXTENSION[fmt]}"
            (root / rel).write_bytes(data)
            out.append(CorpusFile(rel, "duplicate_rerender", fmt, orig.seed, orig.truth, orig.injected, orig.path))
        idx += 1
    for j in range(n_unread):
        data, ext = _garbage(rng, j)
        rel = f"{idx:0{width}d}_garbage{ext}"
        (root / rel).write_bytes(data)
        out.append(CorpusFile(rel, "unreadable", None, None, None))
        idx += 1
    return out


# ---------------------------------------------------------------- throughput
@dataclass
class Throughput:
    fmt: str
    files: int
    rates: list[float]  # reports/s, one per repeat
    errors: int  # parse_file exceptions (the loop continues)
    bytes_avg: float

    @property
    def median(self) -> float:
        return statistics.median(self.rates) if self.rates else 0.0


def measure_format(fmt: str, n: int, repeat: int, seed: int, tmp: Path) -> Throughput:
    """Write ``n`` reports of ``fmt`` and time ``parse_file`` over them ``repeat`` times."""
    from dagster_project.lib.parsing.api import parse_file

    folder = tmp / fmt
    write_corpus(folder, n, (fmt,), seed)
    paths = sorted(folder.iterdir())
    size = sum(p.stat().st_size for p in paths) / max(1, len(paths))
    parse_file(paths[0], root=folder)  # warm-up: imports, font/codec caches
    rates, errors = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        for p in paths:
            try:
                parse_file(p, root=folder)
            except Exception:  # noqa: BLE001 - counted and reported
                errors += 1
        rates.append(len(paths) / (time.perf_counter() - t0))
    return Throughput(fmt, len(paths), rates, errors, size)


def measure_ocr(n: int, seed: int) -> tuple[Throughput, int, list[float]]:
    """Generated scans (devtools/synth/scan.py, the 4 scan formats) through ``parse_bytes`` on one core (one
    onnxruntime thread): (throughput row, pages, seconds per page of each scan)."""
    os.environ.setdefault("GONGKAI_OCR_THREADS", "1")
    from dagster_project.lib.parsing.api import parse_bytes
    from devtools.synth.scan import SCAN_FORMATS, make_scan_case

    cases = [make_scan_case(seed + i, SCAN_FORMATS[i % 4], ("gov2019", "gov2021")[(i // 4) % 2]) for i in range(n)]
    parse_bytes(cases[0].data, cases[0].name)  # warm-up: the OCR engine and its models
    per_page, errors = [], 0
    t0 = time.perf_counter()
    for c in cases:
        t = time.perf_counter()
        try:
            parse_bytes(c.data, c.name)
        except Exception:  # noqa: BLE001 - counted and reported
            errors += 1
        per_page.append((time.perf_counter() - t) / c.pages)
    secs = time.perf_counter() - t0
    size = sum(len(c.data) for c in cases) / max(1, n)
    return Throughput("scan_ocr", n, [n / secs], errors, size), sum(c.pages for c in cases), per_page


def print_throughput(results: list[Throughput]) -> None:
    head = (f"{'format':<12}{'files':>6}{'KB avg':>8}{'median rep/s':>14}{'min':>9}{'max':>9}"
            f"{'target':>8}{'ratio':>8}{'exceptions':>12}")
    print(head)
    print("-" * len(head))
    for r in results:
        target = TARGET_PER_CORE if r.fmt in TARGET_FORMATS else None
        ratio = f"{r.median / target:.2f}x" if target else "—"
        print(f"{r.fmt:<12}{r.files:>6}{r.bytes_avg / 1024:>8.1f}{r.median:>14.1f}{min(r.rates):>9.1f}"
              f"{max(r.rates):>9.1f}{(f'{target:.0f}' if target else '—'):>8}{ratio:>8}{r.errors:>12}")


# ---------------------------------------------------------------- end to end
def _gongkai() -> Path:
    return Path(sys.executable).parent / "gongkai"


def pipeline_available() -> tuple[bool, str]:
    """Whether ``gongkai run`` can run (console script and warehouse module present)."""
    if not _gongkai().exists():
        return False, f"{_gongkai()} not found"
    if importlib.util.find_spec("dagster_project.warehouse_cli") is None:
        return False, "dagster_project.warehouse_cli not implemented yet"
    return True, ""


def _timed_run(gongkai: Path, landing: Path, warehouse: Path, timeout: float, cwd: Path | None = None
               ) -> tuple[str, float | None, str]:
    env = {**os.environ, "GONGKAI_SENSOR": "off", "GONGKAI_PROGRESS": "off"}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([str(gongkai), "run", "--landing", str(landing), "--warehouse", str(warehouse)],
                              capture_output=True, timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired:
        return "timeout", None, f"> {timeout:.0f}s"
    secs = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        return f"exit {proc.returncode}", secs, tail[0][:150]
    return "ok", secs, ""


def time_pipeline(n: int, tmp: Path, seed: int, timeout: float) -> tuple[str, float | None, str]:
    """Time ``gongkai run`` on a fresh landing folder of ``n`` reports; (status, seconds, note)."""
    landing, warehouse = tmp / f"landing_{n}", tmp / f"warehouse_{n}"
    t0 = time.perf_counter()
    write_corpus(landing, n, FORMATS, seed, broken_share=0.05, unreadable_share=0.02, duplicate_share=0.03)
    gen = time.perf_counter() - t0
    status, secs, note = _timed_run(_gongkai(), landing, warehouse, timeout)
    return status, secs, note or f"corpus written in {gen:.1f}s"


def time_increment(n: int, more: int, tmp: Path, seed: int, timeout: float) -> tuple[str, float | None, str]:
    """Time ``gongkai run`` after adding ``more`` reports to the landing folder of :func:`time_pipeline` (n)."""
    landing, warehouse = tmp / f"landing_{n}", tmp / f"warehouse_{n}"
    write_corpus(landing / f"added_{more}", more, FORMATS, seed + 1, broken_share=0.05)
    status, secs, note = _timed_run(_gongkai(), landing, warehouse, timeout)
    return status, secs, note or f"{more} new files, {n:,} unchanged"


def time_fresh_clone(tmp: Path, timeout: float) -> list[tuple[str, str, float | None, str]]:
    """Clone this repository, ``make setup`` it, and time its first and second ``gongkai run`` on the sample
    reports, each on a fresh warehouse (the fixed cost a new user meets)."""
    repo = Path(__file__).resolve().parents[1]
    clone = tmp / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    t0 = time.perf_counter()
    setup = subprocess.run(["make", "-s", "setup"], cwd=clone, capture_output=True, timeout=timeout)
    if setup.returncode != 0:
        return [("make setup", f"exit {setup.returncode}", None, setup.stderr.decode(errors="replace")[-150:])]
    rows = [("make setup", "ok", time.perf_counter() - t0, "venv from the lock (uv cache), dbt parse, bytecode")]
    gongkai = clone / ".venv" / "bin" / "gongkai"
    for label in ("first gongkai run", "second gongkai run"):
        wh = tmp / f"clone_wh_{label.split()[0]}"
        status, secs, note = _timed_run(gongkai, clone / "data" / "landing", wh, timeout, cwd=clone)
        rows.append((label, status, secs, note or "sample reports, fresh warehouse"))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=400, help="files per format (default 400)")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes per format (default 3)")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--seed", type=int, default=20240131)
    ap.add_argument("--run", action="store_true", help="also time `gongkai run` on generated landing folders")
    ap.add_argument("--run-sizes", default="1000,10000", help="landing sizes for --run (default 1000,10000)")
    ap.add_argument("--run-timeout", type=float, default=3600.0)
    ap.add_argument("--no-parse", action="store_true", help="skip the throughput part")
    ap.add_argument("--ocr-scans", type=int, default=8, help="generated scans for the OCR pages/s line (0: none)")
    ap.add_argument("--increment", type=int, default=0,
                    help="after the largest --run size, add this many files and time the run again")
    ap.add_argument("--fresh-clone", action="store_true",
                    help="time make setup and the first and second gongkai run of a fresh clone")
    a = ap.parse_args(argv)
    formats = [f for f in a.formats.split(",") if f]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        ap.error(f"unknown formats {unknown}")
    with tempfile.TemporaryDirectory(prefix="gongkai-bench-") as td:
        tmp = Path(td)
        if not a.no_parse:
            try:
                import dagster_project.lib.parsing.api  # noqa: F401
            except ImportError as exc:
                print(f"parse throughput: skipped (parser API not available: {exc})")
            else:
                print(f"parse throughput, in-process, single core: {a.n} files per format, {a.repeat} passes "
                      f"(python {sys.version.split()[0]})\n", flush=True)
                results = []
                for fmt in formats:
                    r = measure_format(fmt, a.n, a.repeat, a.seed, tmp)
                    results.append(r)
                if a.ocr_scans:
                    ocr_row, pages, per_page = measure_ocr(a.ocr_scans, a.seed)
                    results.append(ocr_row)
                print_throughput(results)
                if a.ocr_scans:
                    print(f"scan_ocr: {a.ocr_scans} generated scans (png, jpg, tif, image-only pdf), {pages} pages: "
                          f"{pages / (a.ocr_scans / ocr_row.median):.3f} OCR pages/s, median "
                          f"{statistics.median(per_page):.2f} s/page (one core, one onnxruntime thread)")
                print()
        if a.run:
            ok, why = pipeline_available()
            sizes = [int(s) for s in a.run_sizes.split(",") if s]
            print(f"{'end to end: gongkai run':<28}{'reports':>8}{'status':>10}{'seconds':>10}{'reports/s':>11}  note")
            for n in sizes:
                if not ok:
                    print(f"{'':<28}{n:>8}{'skipped':>10}{'—':>10}{'—':>11}  {why}")
                    continue
                status, secs, note = time_pipeline(n, tmp, a.seed, a.run_timeout)
                rate = f"{n / secs:.1f}" if secs else "—"
                print(f"{'':<28}{n:>8}{status:>10}{(f'{secs:.1f}' if secs else '—'):>10}{rate:>11}  {note}",
                      flush=True)
            if ok and a.increment and sizes:
                n = max(sizes)
                status, secs, note = time_increment(n, a.increment, tmp, a.seed, a.run_timeout)
                print(f"{'  + new files':<28}{a.increment:>8}{status:>10}{(f'{secs:.1f}' if secs else '—'):>10}"
                      f"{'—':>11}  {note}", flush=True)
        if a.fresh_clone:
            print(f"\n{'fresh clone':<28}{'status':>18}{'seconds':>10}  note")
            for label, status, secs, note in time_fresh_clone(tmp, a.run_timeout):
                print(f"{label:<28}{status:>18}{(f'{secs:.1f}' if secs else '—'):>10}  {note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
