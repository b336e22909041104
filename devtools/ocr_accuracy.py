"""OCR accuracy on generated scans (devtools/synth/scan.py), cell by cell.

    python -m devtools.ocr_accuracy --n 300 --jobs 2          # 300 scans, both templates, 4 scan formats
    python -m devtools.ocr_accuracy --n 100 --seed 1000 --out a.jsonl   # also keep one JSON line per scan
    python -m devtools.ocr_accuracy --from a.jsonl b.jsonl               # the report over saved runs
    python -m devtools.ocr_accuracy --n 12 --engine tesseract           # the same with Tesseract chi_sim

``--engine tesseract`` swaps the recogniser only (comparison, not in the install path): Debian's
``tesseract-ocr`` + ``tesseract-ocr-chi-sim`` read each page (deskewed by its projection profile,
``--psm 11``, one thread), its lines become the boxes the same table reconstruction, parser and
checks use; a table cell the page pass missed is read with ``--psm 7``.

Every scan is parsed in memory with ``parse_bytes`` (RapidOCR) and compared with the generator's truth:

* cell accuracy before correction: the parsed value equals the truth;
* after the invariant-guided correction: the same, with the ``suggested_repair`` applied;
* flagged: a wrong cell the parse does not hide — the report is quarantined (status ``invariant_errors``,
  never published), or the cell sits in an ``ambiguous`` part or an ``OCR.*`` doubt check;
* silent errors: wrong after correction and not flagged (what would be published wrong);
* seconds per page (median and mean) and pages per second per worker.

Each worker process runs onnxruntime on one thread (``GONGKAI_OCR_THREADS=1``), ``--jobs`` workers.
Writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

VERSIONS_CYCLE = ("gov2019", "gov2021")


@dataclass
class Stats:
    reports: int = 0
    pages: int = 0
    cells: int = 0
    right_before: int = 0
    right_after: int = 0
    wrong_flagged: int = 0
    wrong_silent: int = 0
    repairs_offered: int = 0
    repairs_right: int = 0
    crashes: int = 0
    statuses: Counter = field(default_factory=Counter)
    page_seconds: list[float] = field(default_factory=list)  # per report: seconds / pages
    seconds: float = 0.0
    silent: list[str] = field(default_factory=list)
    by_format: dict = field(default_factory=dict)
    conf_right: list[float] = field(default_factory=list)  # OCR confidence of cells read right / wrong
    conf_wrong: list[float] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def add(self, o: "Stats") -> None:
        for f in ("reports", "pages", "cells", "right_before", "right_after", "wrong_flagged", "wrong_silent",
                  "repairs_offered", "repairs_right", "crashes", "seconds"):
            setattr(self, f, getattr(self, f) + getattr(o, f))
        self.statuses.update(o.statuses)
        self.page_seconds += o.page_seconds
        self.silent += o.silent[: max(0, 20 - len(self.silent))]
        self.wrong += o.wrong[: max(0, 40 - len(self.wrong))]
        self.conf_right += o.conf_right
        self.conf_wrong += o.conf_wrong
        for k, v in o.by_format.items():
            acc = self.by_format.setdefault(k, [0, 0, 0])
            for i in range(3):
                acc[i] += v[i]


def _eq(a, b) -> bool:
    from devtools.synth.compare import num_eq

    return num_eq(a, b)


def evaluate(seed: int, fmt: str, version: str, misprint: bool = False) -> Stats:
    """One generated scan through parse_bytes, compared cell by cell; never raises.

    ``misprint``: one table 三 digit printed as its OCR look-alike; the truth is then the consistent value
    (what a right repair restores), so the printed digit counts as a misread."""
    from dagster_project.lib.parsing.api import parse_bytes
    from devtools.synth.scan import make_scan_case

    st = Stats(reports=1)
    case = make_scan_case(seed, fmt, version, misprint=misprint)
    if misprint and case.injected is not None:
        case.truth.t3[case.injected.cell] = case.injected.old
    st.pages = case.pages
    t0 = time.perf_counter()
    try:
        res = parse_bytes(case.data, case.name)
    except Exception as exc:  # noqa: BLE001 - counted
        st.crashes = 1
        st.silent.append(f"CRASH {type(exc).__name__}: {exc} | {case.repro()}")
        return st
    st.seconds = time.perf_counter() - t0
    st.page_seconds.append(st.seconds / max(1, case.pages))
    status = res.get("status")
    st.statuses[status] += 1
    repair = (res.get("suggested_repair") or {}).get("cells") or {}
    if repair:
        st.repairs_offered = 1
    quarantined = status != "ok"
    amb_cells = {k for cands in (res.get("ambiguous") or {}).values() for c in cands for k in c}
    doubt_cells = {k for c in res.get("checks") or [] if str(c.get("check_id", "")).startswith("OCR.")
                   for k in c.get("cells") or []}
    exp = case.truth.expected()
    right_fmt = 0
    repair_ok = bool(repair)
    for t in ("t2", "t3", "t4"):
        got = res.get(t) or {}
        for k, v in exp[t].items():
            st.cells += 1
            g = got.get(k)
            before = _eq(g, v)
            after_val = repair.get(k, g)
            after = _eq(after_val, v)
            st.right_before += before
            c = (res.get("ocr_confidence") or {}).get(k)
            if c is not None:
                (st.conf_right if before else st.conf_wrong).append(c)
            if not before:
                st.wrong.append(f"{t}.{k}: read {g!r} (conf {c}), truth {v!r}, repaired {repair.get(k)!r} "
                                f"status {status} | {case.repro()}")
            st.right_after += after
            right_fmt += after
            if k in repair and not after:
                repair_ok = False
            if not after:
                if quarantined or k in amb_cells or k in doubt_cells:
                    st.wrong_flagged += 1
                else:
                    st.wrong_silent += 1
                    st.silent.append(f"{t}.{k}: got {g!r}, truth {v!r} | {case.repro()}")
    st.repairs_right = int(repair_ok)
    n = sum(len(exp[t]) for t in ("t2", "t3", "t4"))
    st.by_format[fmt] = [1, n, right_fmt]
    return st


def _one(args: tuple) -> Stats:
    return evaluate(*args)


def to_json(st: Stats) -> str:
    d = {k: (dict(v) if isinstance(v, Counter) else v) for k, v in st.__dict__.items()}
    return json.dumps(d, ensure_ascii=False)


def from_json(line: str) -> Stats:
    d = json.loads(line)
    d["statuses"] = Counter(d["statuses"])
    return Stats(**d)


def _init_worker(engine: str = "rapidocr") -> None:
    os.environ["GONGKAI_OCR_THREADS"] = "1"
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if engine == "tesseract":
        from dagster_project.lib.parsing import ocr

        ocr._ocr_boxes = _tesseract_boxes
        ocr._recognize = _tesseract_recognize


def _projection_skew(gray) -> float:
    """The page's skew (degrees) that makes the rows of ink sharpest (projection-profile variance)."""
    import cv2
    import numpy as np

    small = cv2.resize(gray, (gray.shape[1] // 3, gray.shape[0] // 3), interpolation=cv2.INTER_AREA)
    ink = (small < 128).astype(np.float32)
    h, w = ink.shape
    best, best_a = -1.0, 0.0
    for a in np.arange(-2.0, 2.01, 0.1):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(a), 1.0)
        prof = cv2.warpAffine(ink, m, (w, h)).sum(axis=1)
        if prof.var() > best:
            best, best_a = float(prof.var()), float(a)
    return best_a


def _tesseract(img, psm: int) -> str:
    import subprocess

    import cv2

    ok, png = cv2.imencode(".png", img)
    proc = subprocess.run(["tesseract", "stdin", "stdout", "-l", "chi_sim", "--psm", str(psm), "tsv"],
                          input=png.tobytes(), capture_output=True, timeout=120)
    return proc.stdout.decode("utf-8", "replace")


def _tesseract_boxes(gray, first_page: bool = True) -> list:
    """Text boxes of a page read by Tesseract chi_sim: its lines, as quads in the page's coordinates."""
    import cv2
    import numpy as np

    angle = _projection_skew(gray)
    h, w = gray.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    straight = cv2.warpAffine(gray, m, (w, h), borderValue=255)
    back = cv2.invertAffineTransform(m)
    lines: dict[tuple, list] = {}
    for row in _tesseract(straight, 11).splitlines()[1:]:
        f = row.split("\t")
        if len(f) < 12 or f[0] != "5" or not f[11].strip() or float(f[10]) < 0:
            continue
        lines.setdefault((f[2], f[3], f[4]), []).append((int(f[6]), int(f[7]), int(f[8]), int(f[9]), float(f[10]),
                                                         f[11]))
    out = []
    for words in lines.values():
        words.sort()
        x0 = min(x for x, *_ in words)
        y0 = min(y for _, y, *_ in words)
        x1 = max(x + ww for x, _, ww, *_ in words)
        y1 = max(y + hh for _, y, _, hh, *_ in words)
        text = "".join(t for *_, t in words)
        conf = sum(c for *_, c, _ in words) / len(words) / 100
        quad = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        out.append((cv2.transform(quad.reshape(1, 4, 2), back).reshape(4, 2), text, conf))
    return out


def _tesseract_recognize(crops: list) -> list[tuple[str, float]]:
    out = []
    for c in crops:
        pad = __import__("cv2").copyMakeBorder(c, 16, 16, 16, 16, 0, value=(255, 255, 255))
        words = [r.split("\t") for r in _tesseract(pad, 7).splitlines()[1:]]
        words = [f for f in words if len(f) >= 12 and f[0] == "5" and f[11].strip()]
        text = "".join(f[11] for f in words)
        out.append((text, sum(float(f[10]) for f in words) / len(words) / 100 if words else 0.0))
    return out


def run(n: int, seed: int = 0, jobs: int = 2, formats: tuple[str, ...] | None = None, out: str | None = None,
        engine: str = "rapidocr", misprint: bool = False) -> Stats:
    """Evaluate ``n`` scans (formats and templates alternating); with ``out``, one JSON line per scan as it ends."""
    from devtools.synth.scan import SCAN_FORMATS

    formats = formats or SCAN_FORMATS
    plan = [(seed + i, formats[i % len(formats)], VERSIONS_CYCLE[(i // len(formats)) % 2], misprint)
            for i in range(n)]
    total = Stats()
    sink = open(out, "a", encoding="utf-8") if out else None
    try:
        if jobs <= 1:
            _init_worker(engine)
            results = map(_one, plan)
            ex = None
        else:
            ex = ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(engine,))
            results = ex.map(_one, plan)
        for st in results:
            total.add(st)
            if sink:
                sink.write(to_json(st) + "\n")
                sink.flush()
        if ex is not None:
            ex.shutdown()
    finally:
        if sink:
            sink.close()
    return total


def report(st: Stats, wall: float, jobs: int) -> str:
    def pct(a: int, b: int) -> str:
        return f"{100 * a / max(1, b):.2f}%"

    ps = sorted(st.page_seconds)
    lines = [
        f"scans {st.reports} ({st.pages} pages), crashes {st.crashes}, statuses "
        + " ".join(f"{k}={v}" for k, v in sorted(st.statuses.items(), key=lambda kv: str(kv[0]))),
        f"cell accuracy before correction: {st.right_before}/{st.cells} = {pct(st.right_before, st.cells)}",
        f"cell accuracy after  correction: {st.right_after}/{st.cells} = {pct(st.right_after, st.cells)}"
        f"  (repairs offered {st.repairs_offered}, right {st.repairs_right})",
        f"wrong cells flagged (quarantined / ambiguous / OCR doubt): {st.wrong_flagged}; silent (unflagged) wrong "
        f"cells: {st.wrong_silent}",
        f"seconds per page: median {statistics.median(ps) if ps else 0:.2f}, mean {statistics.mean(ps) if ps else 0:.2f}"
        f" (per worker, 1 onnxruntime thread); {st.pages / max(wall, 1e-9):.3f} pages/s on {jobs} workers "
        f"(wall {wall:.0f} s)",
        "per format (reports, cells, right after correction): "
        + ", ".join(f"{k} {v[0]} {pct(v[2], v[1])}" for k, v in sorted(st.by_format.items())),
    ]
    def share_below(xs: list[float], th: float) -> str:
        return f"{sum(x < th for x in xs)}/{len(xs)}"

    lines.append("OCR confidence of cells read right / wrong: below 0.5 " + share_below(st.conf_right, 0.5) + " / "
                 + share_below(st.conf_wrong, 0.5) + ", below 0.7 " + share_below(st.conf_right, 0.7) + " / "
                 + share_below(st.conf_wrong, 0.7) + ", below 0.9 " + share_below(st.conf_right, 0.9) + " / "
                 + share_below(st.conf_wrong, 0.9))
    lines += [f"  silent: {s}" for s in st.silent[:10]]
    lines += [f"  misread: {s}" for s in st.wrong[:15]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="generated scans")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="worker processes")
    ap.add_argument("--formats", default="", help="comma-separated subset of the scan formats")
    ap.add_argument("--out", help="append one JSON line per scan to this file")
    ap.add_argument("--engine", choices=("rapidocr", "tesseract"), default="rapidocr")
    ap.add_argument("--misprint", action="store_true",
                    help="print one table 三 digit of every scan as its OCR look-alike (measures the repair)")
    ap.add_argument("--from", dest="inputs", nargs="*", help="report over saved JSON lines instead of running")
    ap.add_argument("--wall", type=float, default=0.0, help="with --from: the runs' total wall seconds")
    a = ap.parse_args(argv)
    if a.inputs:
        st = Stats()
        for path in a.inputs:
            for line in open(path, encoding="utf-8"):
                if line.strip():
                    st.add(from_json(line))
        print(report(st, a.wall or st.seconds / max(1, a.jobs), a.jobs))
        return 0
    t0 = time.perf_counter()
    st = run(a.n, a.seed, a.jobs, tuple(f for f in a.formats.split(",") if f) or None, a.out, a.engine, a.misprint)
    print(report(st, time.perf_counter() - t0, a.jobs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
