"""A national year in one run (``make bench-national``): 150,000 generated reports through ``gongkai run``.

    python -m devtools.bench_national                  # generate (once) and run; figures to stdout and JSON
    python -m devtools.bench_national --n 20000        # a smaller year
    python -m devtools.bench_national --rerun          # also time a second run on the same warehouse

The corpus is the one the issue describes: ``devtools.bench.write_corpus`` with formats txt_concat, txt_lines,
txt_tabs, html, html_gbk; seeds 101 and 202, half the files each in two subfolders; broken 5%, unreadable 1%,
duplicates 2%; plus ``../shared/repro/t4-long-row-overflow.txt`` when present (the file that once failed a whole
run). It is generated once into ``<out>/landing`` (two processes) and reused.

While ``gongkai run`` runs, the resident memory of its whole process tree (the CLI, its parse workers, dbt) is
sampled every 0.2 s from /proc: the sum of RSS (conservative: shared pages count once per process) and of PSS,
and the CPU seconds each stage costs per role (the main process, the parse workers, dbt, other children) with the
CPU seconds the VM's host stole meanwhile (``steal`` of /proc/stat: these machines are shared).
The run's own stage timings (``<warehouse>/logs/last_run_timing.json``) attribute the samples to stages.
Targets on the 2-core build machine: ≤ 5 minutes, ≤ 4 GB, every file accounted for in ``reports``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

FORMATS = ("txt_concat", "txt_lines", "txt_tabs", "html", "html_gbk")
SEEDS = (101, 202)
TARGET_SECONDS = 300
TARGET_BYTES = 4 * 2**30
REPO = Path(__file__).resolve().parents[1]
REPRO = REPO.parent / "shared" / "repro" / "t4-long-row-overflow.txt"


def _write_half(args: tuple[str, int, int]) -> int:
    from devtools.bench import write_corpus

    folder, n, seed = args
    write_corpus(folder, n, FORMATS, seed, broken_share=0.05, unreadable_share=0.01, duplicate_share=0.02)
    return n


def generate(landing: Path, n: int) -> float:
    """Write the corpus (two halves in parallel) unless a complete one of this size is there."""
    done = landing.parent / f"corpus-{n}.done"
    if done.exists() and landing.is_dir():
        return 0.0
    shutil.rmtree(landing, ignore_errors=True)
    t0 = time.perf_counter()
    halves = [(str(landing / f"seed{s}"), n // 2 + (n % 2 if i == 0 else 0), s) for i, s in enumerate(SEEDS)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_write_half, halves))
    if REPRO.is_file():
        shutil.copyfile(REPRO, landing / REPRO.name)
    done.write_text(str(n))
    return time.perf_counter() - t0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def _tree(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(_children(p))
    return out


def _mem(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes of one process (0 when it is gone)."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss, pss


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> tuple[float, str]:
    """(user + system CPU seconds, command) of one process ((0, "") when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return 0.0, ""
    return (int(fields[11]) + int(fields[12])) / _TICK, cmd


def _role(pid: int, root: int, cmd: str) -> str:
    if pid == root:
        return "main"
    if "forkserver" in cmd:
        return "parse workers"
    if "dbt" in cmd:
        return "dbt"
    return "other"


def _steal() -> float:
    """CPU seconds stolen from this VM by its host, all CPUs (/proc/stat)."""
    with open("/proc/stat") as fh:
        return int(fh.readline().split()[8]) / _TICK


class Sampler(threading.Thread):
    """Samples the memory and CPU time of a process tree until stopped: samples are
    (epoch seconds, rss sum, pss sum, n processes, {pid: (role, cpu seconds)}, stolen CPU seconds)."""

    def __init__(self, pid: int, every: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pids = _tree(self.pid)
            mems = [_mem(p) for p in pids]
            cpus = {}
            for p in pids:
                sec, cmd = _cpu(p)
                if cmd:
                    cpus[p] = (_role(p, self.pid, cmd), sec)
            self.samples.append((time.time(), sum(m[0] for m in mems), sum(m[1] for m in mems), len(pids), cpus,
                                 _steal()))
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def run_once(landing: Path, warehouse: Path, log: Path) -> dict:
    env = {**os.environ, "GONGKAI_SENSOR": "off", "GONGKAI_PROGRESS": "off"}
    gongkai = Path(sys.executable).with_name("gongkai")
    t0 = time.time()
    with open(log, "w") as out:
        proc = subprocess.Popen([str(gongkai), "run", "--landing", str(landing), "--warehouse", str(warehouse)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
        sampler = Sampler(proc.pid)
        sampler.start()
        rc = proc.wait()
        sampler.stop()
    total = time.time() - t0
    timing_file = warehouse / "logs" / "last_run_timing.json"
    stages = json.loads(timing_file.read_text())["stages"] if timing_file.exists() else []
    rows = []
    for st in stages:
        inside = [s for s in sampler.samples if st["start"] <= s[0] <= st["end"]]
        before = [s for s in sampler.samples if s[0] < st["start"]]
        rows.append({"stage": st["stage"], "seconds": st["seconds"],
                     "peak_rss_gb": round(max((s[1] for s in inside), default=0) / 2**30, 2),
                     "peak_pss_gb": round(max((s[2] for s in inside), default=0) / 2**30, 2),
                     "cpu_seconds": stage_cpu(before[-1] if before else None, inside),
                     "stolen_seconds": round(inside[-1][5] - (before or inside)[-1][5], 1) if inside else 0.0})
    peak_rss = max((s[1] for s in sampler.samples), default=0)
    peak_pss = max((s[2] for s in sampler.samples), default=0)
    return {"exit_code": rc, "seconds": round(total, 1), "peak_rss_gb": round(peak_rss / 2**30, 2),
            "peak_pss_gb": round(peak_pss / 2**30, 2), "stages": rows}


def stage_cpu(before: tuple | None, inside: list[tuple]) -> dict[str, float]:
    """CPU seconds spent in a stage per role (main process, parse workers, dbt, other): for each process, its last
    sample in the stage minus its sample before the stage (0 for a process started in it)."""
    start = before[4] if before else {}
    last: dict[int, tuple[str, float]] = {}
    for s in inside:
        last.update(s[4])
    out: dict[str, float] = {}
    for pid, (role, sec) in last.items():
        out[role] = out.get(role, 0.0) + sec - start.get(pid, (role, 0.0))[1]
    return {k: round(v, 1) for k, v in sorted(out.items())}


def accounted(landing: Path, warehouse: Path) -> dict:
    """Files in the landing folder, rows in the published ``reports`` mart, and their statuses."""
    import duckdb

    n_files = sum(1 for p in landing.rglob("*") if p.is_file() or p.is_symlink())
    con = duckdb.connect()
    mart = f"read_parquet('{warehouse}/marts/reports/**/*.parquet', hive_partitioning=true)"
    try:
        status = dict(con.execute(f"select status, count(*) from {mart} group by 1").fetchall())
        repro = con.execute(f"select status from {mart} where source_path = ?", [REPRO.name]).fetchall()
    except duckdb.Error as exc:
        return {"n_files": n_files, "error": str(exc)}
    return {"n_files": n_files, "n_reports": sum(status.values()), "status": status,
            "repro_status": repro[0][0] if repro else None, "all_accounted": sum(status.values()) == n_files}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=150_000)
    ap.add_argument("--out", type=Path, default=REPO / "bench-out" / "national")
    ap.add_argument("--rerun", action="store_true", help="also time a second run on the same warehouse")
    a = ap.parse_args(argv)
    out = a.out.resolve()
    landing, warehouse = out / "landing", out / "warehouse"
    out.mkdir(parents=True, exist_ok=True)
    gen = generate(landing, a.n)
    print(f"corpus: {a.n:,} generated reports in {landing}" + (f" (written in {gen:.0f} s)" if gen else " (reused)"),
          flush=True)
    shutil.rmtree(warehouse, ignore_errors=True)
    runs = {"first": run_once(landing, warehouse, out / "run1.log")}
    if a.rerun:
        runs["second"] = run_once(landing, warehouse, out / "run2.log")
    acc = accounted(landing, warehouse)
    for name, r in runs.items():
        ok_t = "met" if r["seconds"] <= TARGET_SECONDS else "MISSED"
        ok_m = "met" if r["peak_rss_gb"] * 2**30 <= TARGET_BYTES else "MISSED"
        print(f"\n{name} run: exit {r['exit_code']}, {r['seconds']:.0f} s (target {TARGET_SECONDS} s: {ok_t}), "
              f"peak RSS of the process tree {r['peak_rss_gb']:.2f} GB (target 4 GB: {ok_m}; PSS {r['peak_pss_gb']:.2f} GB)")
        print(f"  {'stage':<9}{'seconds':>9}{'peak RSS GB':>13}{'peak PSS GB':>13}  CPU seconds (stolen by the host)")
        for st in r["stages"]:
            cpu = ", ".join(f"{k} {v:.0f}" for k, v in st["cpu_seconds"].items())
            print(f"  {st['stage']:<9}{st['seconds']:>9.1f}{st['peak_rss_gb']:>13.2f}{st['peak_pss_gb']:>13.2f}"
                  f"  {cpu} ({st['stolen_seconds']:.0f})")
    print(f"\naccounting: {acc.get('n_files'):,} files, {acc.get('n_reports', 0):,} rows in reports "
          f"({'every file accounted for' if acc.get('all_accounted') else 'NOT all accounted for'}); "
          f"status {acc.get('status')}; {REPRO.name}: {acc.get('repro_status')}")
    (out / "national.json").write_text(json.dumps({"n": a.n, "runs": runs, "accounting": acc}, indent=1))
    first = runs["first"]
    return 0 if first["exit_code"] == 0 and acc.get("all_accounted") else 1


if __name__ == "__main__":
    sys.exit(main())
