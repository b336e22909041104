"""Parser accuracy on synthetic reports, per format.

    python -m devtools.synth.accuracy --n 2000            # 2,000 reports spread over formats
    python -m devtools.synth.accuracy --n 2000 --per-format

Generates reports (both templates, mixed scales, deterministic seeds), parses them in memory with
``parse_bytes`` and prints per format: reports fully right (contract met, ambiguity honoured),
cell accuracy (cells right / cells total), ambiguous parts, statuses and crashes. Writes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from devtools.synth.case import make_case
from devtools.synth.compare import compare, error_checks
from devtools.synth.render import FORMATS

VERSIONS_CYCLE = ("gov2019", "gov2021")


@dataclass
class FormatStats:
    """Aggregated outcome for one format."""

    reports: int = 0
    fully_right: int = 0
    cells_total: int = 0
    cells_right: int = 0
    cells_ambiguous_ok: int = 0
    ambiguous_parts: int = 0
    reports_ambiguous: int = 0
    crashes: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # repro lines of the first failures

    def add(self, other: "FormatStats") -> None:
        for f in ("reports", "fully_right", "cells_total", "cells_right", "cells_ambiguous_ok", "ambiguous_parts",
                  "reports_ambiguous", "crashes", "seconds"):
            setattr(self, f, getattr(self, f) + getattr(other, f))
        self.statuses.update(other.statuses)
        self.failures.extend(other.failures[: max(0, 5 - len(self.failures))])


def evaluate_one(seed: int, fmt: str, version: str, scale: str = "mixed") -> FormatStats:
    """Render one case, parse it, compare; never raises."""
    from dagster_project.lib.parsing.api import parse_bytes

    st = FormatStats(reports=1)
    case = make_case(seed, fmt, version, scale=scale)
    t0 = time.perf_counter()
    try:
        result = parse_bytes(case.data, case.name)
    except Exception as exc:  # noqa: BLE001 - counted, not fatal
        st.seconds = time.perf_counter() - t0
        st.crashes = 1
        st.cells_total = len(case.truth.t2) + len(case.truth.t3) + len(case.truth.t4)
        st.failures.append(f"CRASH {type(exc).__name__}: {exc} | {case.repro()} | "
                           + traceback.format_exc(limit=3).replace("\n", " ")[-300:])
        return st
    st.seconds = time.perf_counter() - t0
    st.statuses[result.get("status")] += 1
    cmp = compare(result, case.truth)
    st.cells_total, st.cells_right, st.cells_ambiguous_ok = cmp.cells_total, cmp.cells_right, cmp.cells_ambiguous_ok
    st.ambiguous_parts = cmp.ambiguous_parts
    st.reports_ambiguous = int(cmp.ambiguous_parts > 0)
    errors = error_checks(result)
    if cmp.ok and result.get("status") == "ok" and not errors:
        st.fully_right = 1
    else:
        why = cmp.mismatches[:3] + ([f"status={result.get('status')}"] if result.get("status") != "ok" else []) \
            + ([f"errors={[c.get('check_id') for c in errors][:4]}"] if errors else [])
        st.failures.append(f"{case.repro()}  # scale={case.truth.scale} {'; '.join(why)}"[:600])
    return st


def _chunk(args: list[tuple[int, str, str]]) -> dict[str, FormatStats]:
    out: dict[str, FormatStats] = defaultdict(FormatStats)
    for seed, fmt, version in args:
        out[fmt].add(evaluate_one(seed, fmt, version))
    return dict(out)


def run(n: int, formats: tuple[str, ...] = FORMATS, *, seed: int = 0, per_format: bool = False,
        jobs: int = 1) -> dict[str, FormatStats]:
    """Evaluate ``n`` reports (``n`` per format with ``per_format``), both templates alternating."""
    plan: list[tuple[int, str, str]] = []
    total = n * len(formats) if per_format else n
    for i in range(total):
        fmt = formats[i % len(formats)]
        plan.append((seed + i, fmt, VERSIONS_CYCLE[(i // len(formats)) % 2]))
    stats: dict[str, FormatStats] = {f: FormatStats() for f in formats}
    if jobs <= 1:
        for fmt, st in _chunk(plan).items():
            stats[fmt].add(st)
    else:
        chunks = [plan[k::jobs * 8] for k in range(jobs * 8)]
        with ProcessPoolExecutor(jobs) as ex:
            for part in ex.map(_chunk, chunks):
                for fmt, st in part.items():
                    stats[fmt].add(st)
    return stats


# ---------------------------------------------------------------- two source errors in one table 四 row
T4_VERDICTS = ("right", "null_flagged", "ambiguous_ok", "silently_wrong")


def t4_two_error_verdict(seed: int, fmt: str) -> tuple[str, dict]:
    """Render a report whose table 四 row carries two source errors, parse it, and judge each proceeding's block:
    ``right`` (read as printed), ``null_flagged`` (null, named by a P.T4.SPLIT error), ``ambiguous_ok`` (t4 listed
    in ``ambiguous`` with a candidate that reads the block as printed or leaves it unread), or ``silently_wrong``.
    Returns the worst verdict of the three blocks and the parse result."""
    import random

    from dagster_project.lib.parsing.api import parse_bytes
    from dagster_project.lib.parsing.template import T4_KEYS
    from devtools.synth.render import render
    from devtools.synth.truth import inject_two_t4_errors, make_truth

    rng = random.Random(seed)
    truth, _ = inject_two_t4_errors(make_truth(rng, None), rng)
    data, name = render(truth, fmt, rng)
    got = parse_bytes(data, name)
    t4 = got.get("t4") or {}
    candidates = got["ambiguous"].get("t4") or []
    split_cells = {c for ch in got["checks"] if ch["check_id"] == "P.T4.SPLIT" for c in ch["cells"]}
    worst = 0
    for b in range(0, 15, 5):
        keys = T4_KEYS[b:b + 5]
        printed, read = [truth.t4[k] for k in keys], [t4.get(k) for k in keys]
        if read == printed:
            v = 0
        elif read == [None] * 5 and set(keys) <= split_cells:
            v = 1
        elif any([c.get(k) for k in keys] in (printed, [None] * 5) for c in candidates):
            v = 2
        else:
            v = 3
        worst = max(worst, v)
    return T4_VERDICTS[worst], got


def format_table(stats: dict[str, FormatStats]) -> str:
    """A plain-text table of the per-format results."""
    head = (f"{'format':<12}{'reports':>8}{'fully right':>18}{'cells right':>20}{'cell acc':>10}"
            f"{'amb cells ok':>13}{'amb parts':>10}{'amb rpts':>9}{'crashes':>8}{'ms/rpt':>8}  statuses")
    lines = [head, "-" * len(head)]
    tot = FormatStats()
    for fmt, st in stats.items():
        tot.add(st)
        lines.append(_row(fmt, st))
    lines.append("-" * len(head))
    lines.append(_row("ALL", tot))
    return "\n".join(lines)


def _row(name: str, st: FormatStats) -> str:
    acc = st.cells_right / st.cells_total if st.cells_total else 0.0
    fr = f"{st.fully_right}/{st.reports} {100 * st.fully_right / max(1, st.reports):.0f}%"
    ms = 1000 * st.seconds / max(1, st.reports)
    statuses = " ".join(f"{k}={v}" for k, v in sorted(st.statuses.items(), key=lambda kv: str(kv[0])))
    return (f"{name:<12}{st.reports:>8}{fr:>18}{f'{st.cells_right}/{st.cells_total}':>20}{100 * acc:>9.2f}%"
            f"{st.cells_ambiguous_ok:>13}{st.ambiguous_parts:>10}{st.reports_ambiguous:>9}{st.crashes:>8}{ms:>8.1f}"
            f"  {statuses}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="reports in total (per format with --per-format)")
    ap.add_argument("--per-format", action="store_true", help="--n reports for every format")
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated subset of " + ",".join(FORMATS))
    ap.add_argument("--seed", type=int, default=0, help="first seed (cases use seed, seed+1, ...)")
    ap.add_argument("--jobs", "-j", type=int, default=1, help="worker processes")
    ap.add_argument("--show-failures", type=int, default=3, help="repro lines printed per format")
    ap.add_argument("--t4-two-errors", action="store_true",
                    help="instead: --n reports per format whose table 四 row carries two source errors, judged per block")
    a = ap.parse_args(argv)
    formats = tuple(f for f in a.formats.split(",") if f)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        ap.error(f"unknown formats {bad}")
    t0 = time.perf_counter()
    if a.t4_two_errors:
        for fmt in formats:
            verdicts: Counter = Counter()
            statuses: Counter = Counter()
            for seed in range(a.seed, a.seed + a.n):
                v, got = t4_two_error_verdict(seed, fmt)
                verdicts[v] += 1
                statuses[got["status"]] += 1
            print(f"{fmt:<12} " + " ".join(f"{k}={verdicts[k]}" for k in T4_VERDICTS)
                  + "  statuses " + " ".join(f"{k}={v}" for k, v in sorted(statuses.items())))
        print(f"\n{a.n * len(formats)} reports in {time.perf_counter() - t0:.1f}s")
        return 0
    stats = run(a.n, formats, seed=a.seed, per_format=a.per_format, jobs=a.jobs)
    print(format_table(stats))
    print(f"\n{sum(s.reports for s in stats.values())} reports in {time.perf_counter() - t0:.1f}s "
          "(fully right = contract met: exact values or truth among the listed ambiguous candidates, "
          "status ok, no error check; amb cells ok = cells differing inside an ambiguous part that lists the truth)")
    if a.show_failures:
        for fmt, st in stats.items():
            for line in st.failures[: a.show_failures]:
                print(f"[{fmt}] {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
