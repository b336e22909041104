"""``gongkai run / ui / docs`` (CONTRACT §1), called by ``dagster_project/cli.py``.

Every command resolves the landing and warehouse folders (argument, then environment, then
default), exports them as absolute paths for every process it starts, and points ``DAGSTER_HOME``
at ``<warehouse>/dagster_home`` (telemetry off) so that runs made by ``gongkai run`` appear in
``gongkai ui``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dagster_project.lib.warehouse.paths import (
    DBT_PROJECT_DIR,
    DUCKDB_ENV,
    PROJECT_ROOT,
    SWITCH_ENV,
    LandingMismatch,
    WarehousePaths,
    bind_landing,
    resolve_corrections,
    resolve_warehouse,
    warehouse_env,
    write_dagster_yaml,
)

JOB_NAME = "gongkai_all"
STATUSES = ("published", "quarantined", "unreadable", "duplicate")


class UserError(Exception):
    """A problem the user must fix: one line on stderr, exit code ``code`` (2, or 3 for a busy warehouse)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def _prepare(landing: Path | str | None, warehouse: Path | str | None, corrections: Path | str | None = None,
             switch_landing: bool = False, hold: bool = False) -> tuple[Path, WarehousePaths, dict[str, str]]:
    """Resolve the folders of a command (the warehouse's own landing folder unless another is given), export them
    for every process it starts; with ``hold``, take the warehouse's write lock first."""
    from dagster_project.lib.warehouse import lock

    paths = WarehousePaths(resolve_warehouse(warehouse))
    try:
        paths.ensure()
        if hold:
            lock.acquire(paths.root)
        landing_dir = bind_landing(paths.root, landing, switch_landing)
        write_dagster_yaml(paths)
    except lock.WarehouseBusy as exc:
        raise UserError(str(exc), code=3) from None
    except LandingMismatch as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(_os_error(exc, paths.root)) from None
    env = warehouse_env(landing_dir, paths.root, resolve_corrections(corrections))
    if switch_landing:
        env[SWITCH_ENV] = "1"
    os.environ.update(env)
    return landing_dir, paths, env


def _os_error(exc: OSError, where: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"disk full: no space left on the device of {where} ({exc.filename or where}); free some space and run again"
    return f"cannot use {exc.filename or where}: {exc.strerror or exc}"


def _bin(name: str) -> str:
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


# ---------------------------------------------------------------- run


def _timing(label: str, t0: float) -> None:
    if os.environ.get("GONGKAI_TIMING"):
        print(f"  [{time.perf_counter() - t0:6.1f}s] {label}", file=sys.stderr, flush=True)


STAGES = {  # step key -> stage label of the timing table
    "ingest__landing_files": "scan", "ingest__parsed_reports": "parse", "report_records": "records",
    "gongkai_dbt": "dbt", "gx_suites": "gx", "publish__marts": "publish",
    "published__quality_report": "report",
}


def run(landing: Path | str | None = None, warehouse: Path | str | None = None, log_level: str | None = None,
        corrections: Path | str | None = None, switch_landing: bool = False) -> int:
    """Materialize every asset and check in-process on the persistent instance.

    Exit codes (CONTRACT §1): 0 the run succeeded (quarantined or unreadable reports included); 2 a problem the
    user must fix (bad corrections file, disk full, unreadable or corrupted warehouse database, another landing
    folder), one line and no traceback; 3 another run holds the warehouse; 1 an internal failure (traceback in
    the log).
    """
    try:
        return _run(landing, warehouse, log_level, corrections, switch_landing)
    except UserError as exc:
        print(f"gongkai run: {exc}", file=sys.stderr)
        return exc.code


def _run(landing, warehouse, log_level, corrections, switch_landing) -> int:
    t0 = time.perf_counter()
    landing_dir, paths, env = _prepare(landing, warehouse, corrections, switch_landing, hold=True)
    if not landing_dir.is_dir():
        raise UserError(f"landing folder {landing_dir} does not exist")
    corrections_file = Path(env["GONGKAI_CORRECTIONS"])
    if corrections is not None and not corrections_file.is_file():
        raise UserError(f"corrections file {corrections_file} does not exist")
    from dagster_project.lib.corrections import CorrectionsError, load_corrections

    try:  # a malformed file is the analyst's to fix: say so before anything runs
        n_corrections = len(load_corrections(corrections_file))
    except (CorrectionsError, OSError, ValueError) as exc:
        raise UserError(f"cannot use the corrections file: {exc}") from None
    _check_database(paths)
    log_file = _rotate_log(paths)
    level = (log_level or os.environ.get("GONGKAI_LOG_LEVEL") or "WARNING").upper()
    from dagster_project.lib.warehouse import dbt_warm
    from dagster_project.lib.warehouse.dbt_manifest import build_target, dbt_env, ensure_manifest, parse_argv

    ensure_manifest()  # normally a stat walk: `make setup` parsed the project; after an edit, parse it once here
    # dbt imports itself and parses the project on the other core while the run loads and ingests
    log_path = str(build_target(paths.dbt_target))
    warm = None if os.environ.get(dbt_warm.SWITCH_ENV) == "0" else dbt_warm.start(
        dbt_env({DUCKDB_ENV: str(paths.duckdb), "DBT_LOG_PATH": log_path}), parse_argv(paths.dbt_target),
        cwd=DBT_PROJECT_DIR)
    from dagster_project.lib.warehouse import ingest

    ingest.prestart_workers()  # the parse workers' fork server imports the parser meanwhile, too
    try:
        return _execute(paths, landing_dir, corrections_file, n_corrections, log_file, level, t0)
    finally:
        if warm is not None:
            warm.stop()


def _execute(paths, landing_dir, corrections_file, n_corrections, log_file, level, t0) -> int:
    from dagster import DagsterInstance

    from dagster_project.definitions import defs

    job = defs().resolve_job_def(JOB_NAME)
    _timing("definitions loaded", t0)
    print(f"gongkai run: {landing_dir} → {paths.root}", flush=True)
    print(f"  corrections: {corrections_file} ({n_corrections} entries)", flush=True)
    # dbt's per-node lines go to stdout: keep them in the log file, print a summary instead; progress lines of
    # the long steps go to the same file through the `gongkai` logger (and the bar to the terminal)
    try:
        with DagsterInstance.get() as instance, open(log_file, "w") as log, contextlib.redirect_stdout(log), \
                _file_logger(log):
            stale = _fail_interrupted_runs(instance)
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": level}}}},
                tags={"gongkai/trigger": "gongkai run"},
            )
            _timing("run executed", t0)
            ok = result.success
            run_id = result.run_id
            failed_steps = [e.step_key for e in result.all_events if e.is_step_failure]
            failures = [e.step_failure_data.error for e in result.all_events
                        if e.is_step_failure and e.step_failure_data and e.step_failure_data.error]
            skipped = [e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"]
            ingest, listing = {}, {}
            for ev in result.get_asset_materialization_events():
                mat = ev.step_materialization_data.materialization
                if mat.asset_key.path == ["ingest", "parsed_reports"]:
                    ingest = {k: v.value for k, v in mat.metadata.items()}
                if mat.asset_key.path == ["ingest", "landing_files"]:
                    listing = {k: v.value for k, v in mat.metadata.items()}
            stages = stage_timings(instance, run_id)
            for err in failures:  # the full story of a failed step, for whoever reads the log
                print(f"\n--- failed step error ---\n{err.to_string()}", file=log)
    except Exception as exc:  # noqa: BLE001 - outside the steps: the instance, the log file …
        kind = _classify(exc, paths)
        _log_traceback(log_file)
        if kind:
            raise UserError(kind) from None
        print(f"gongkai run: internal failure ({type(exc).__name__}: {exc}); traceback in {log_file}",
              file=sys.stderr)
        return 1
    secs = time.perf_counter() - t0
    try:
        (paths.logs / "last_run_timing.json").write_text(json.dumps(
            {"run_id": run_id, "total_seconds": round(secs, 2), "stages": stages}, indent=1))
    except OSError:
        pass  # a by-product: a full disk is reported below from the run's own failure
    for old in stale:
        print(f"  marked failed: run {old[:8]} (interrupted: its process is gone)")
    if ingest:
        print(f"  ingest: {ingest.get('n_files')} files, {ingest.get('n_read')} read, "
              f"{ingest.get('n_parsed')} parsed (new content), {ingest.get('n_cache_hits')} already parsed")
    for item in (listing.get("skipped") or [])[:20]:
        print(f"  skipped {item['source_path']}: {item['reason']}")
    if len(listing.get("skipped") or []) > 20:
        print(f"  … and {len(listing['skipped']) - 20} more skipped entries (see the log)")
    if not ok:
        kind = next((k for k in (_classify_text(e.to_string(), paths) for e in failures) if k), None)
        if kind:
            print(f"gongkai run: {kind}", file=sys.stderr)
            print("  nothing was published by this run: the marts are those of the last successful run",
                  file=sys.stderr)
            return 3 if kind.startswith("the warehouse database") and "open in another" in kind else 2
    _print_summary(paths, ok, run_id, secs, failed_steps, skipped)
    if stages:
        print("  stage      seconds")
        for st in stages:
            print(f"  {st['stage']:<9} {st['seconds']:8.1f}")
    print(f"  log: {log_file}")
    return 0 if ok else 1


def _check_database(paths: WarehousePaths) -> None:
    """Open the warehouse database once before the run: a corrupted or foreign file is a user problem."""
    if not paths.duckdb.exists():
        return
    import duckdb

    from dagster_project.lib.warehouse import store

    try:
        store.connect(paths.duckdb).close()
    except duckdb.Error as exc:
        text = str(exc).splitlines()[0][:300]
        if "lock" in text.lower():
            raise UserError(f"the warehouse database {paths.duckdb} is open in another program: close it and run "
                            f"again ({text})", code=3) from None
        raise UserError(f"the warehouse database {paths.duckdb} cannot be opened ({text}): it is damaged or "
                        "was written by another DuckDB version; move it away and run again (it is rebuilt from "
                        "the landing folder)") from None
    except OSError as exc:
        raise UserError(_os_error(exc, paths.duckdb)) from None


def _rotate_log(paths: WarehousePaths) -> Path:
    """Keep the previous run's log as ``previous_run.log`` (renamed, never truncated) and return the new path."""
    log_file = paths.logs / "last_run.log"
    try:
        if log_file.exists():
            os.replace(log_file, paths.logs / "previous_run.log")
    except OSError as exc:
        raise UserError(_os_error(exc, paths.logs)) from None
    return log_file


_DISK_FULL = ("no space left on device", "database or disk is full", "disk is full", "errno 28", "enospc")


def _disk_nearly_full(root: Path) -> bool:
    """Libraries report a full disk in their own words (SQLite: "disk I/O error"): look at the disk itself."""
    import shutil

    try:
        return shutil.disk_usage(root).free < 4 * 2**20
    except OSError:
        return False


def _classify_text(text: str, paths: WarehousePaths) -> str | None:
    low = text.lower()
    if any(s in low for s in _DISK_FULL) or _disk_nearly_full(paths.root):
        return f"disk full: no space left on the device of {paths.root}; free some space and run again"
    if "could not set lock on file" in low:
        return (f"the warehouse database {paths.duckdb} is open in another program (DuckDB allows one writer): "
                "close it and run again")
    if "not a valid duckdb database" in low or "failed to read database header" in low:
        return f"the warehouse database {paths.duckdb} is damaged: move it away and run again"
    return None


def _classify(exc: BaseException, paths: WarehousePaths) -> str | None:
    import traceback

    return _classify_text("".join(traceback.format_exception(exc)), paths)


def _log_traceback(log_file: Path) -> None:
    import traceback

    try:
        with open(log_file, "a") as fh:
            traceback.print_exc(file=fh)
    except OSError:
        pass  # the disk may be full: the one-line message still says what happened


def _fail_interrupted_runs_if_idle(paths: WarehousePaths) -> None:
    """At UI start: when no run holds the warehouse, runs left STARTED by a killed process are marked failed."""
    from dagster_project.lib.warehouse import lock

    try:
        lock.acquire(paths.root)
    except lock.WarehouseBusy:
        return  # a run is in progress: its STARTED status is true
    try:
        from dagster import DagsterInstance

        with DagsterInstance.get() as instance:
            for run_id in _fail_interrupted_runs(instance):
                print(f"marked failed: run {run_id[:8]} (interrupted: its process is gone)")
    finally:
        lock.release(paths.root)


def _fail_interrupted_runs(instance) -> list[str]:
    """Runs left STARTED/STARTING by a killed process: we hold the warehouse, so none of them is alive."""
    from dagster import DagsterRunStatus, RunsFilter

    stale = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING]))
    for r in stale:
        instance.report_run_failed(r, message="interrupted: the process running it ended without finishing "
                                              "(marked failed by the next gongkai run)")
    return [r.run_id for r in stale]


@contextlib.contextmanager
def _file_logger(stream):
    """The ``gongkai`` logger (progress lines of long steps) writes to the run's log file meanwhile."""
    import logging

    logger = logging.getLogger("gongkai")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s gongkai %(message)s"))
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def stage_timings(instance, run_id: str) -> list[dict]:
    """Start, end and seconds of each step of a run, from the instance's event log (in run order)."""
    starts: dict[str, float] = {}
    out = []
    for entry in instance.all_logs(run_id):
        ev = entry.dagster_event
        if ev is None or not ev.step_key:
            continue
        if ev.event_type_value == "STEP_START":
            starts[ev.step_key] = entry.timestamp
        elif ev.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and ev.step_key in starts:
            t0 = starts[ev.step_key]
            out.append({"stage": STAGES.get(ev.step_key, ev.step_key), "step_key": ev.step_key, "start": t0,
                        "end": entry.timestamp, "seconds": round(entry.timestamp - t0, 2),
                        "ok": ev.event_type_value == "STEP_SUCCESS"})
    return out


def summary(paths: WarehousePaths) -> dict:
    """Counts per status and the quarantined reports, read from the published marts."""
    import duckdb

    from dagster_project.lib.warehouse.publish import read_mart_sql

    out: dict = {"status": {}, "quarantine": [], "corrections": [], "cross_report": {}, "n_resolved": 0}
    if not (paths.marts / "reports").is_dir():
        return out
    con = duckdb.connect()
    try:
        out["status"] = dict(con.execute(
            f"select status, count(*) from {read_mart_sql(paths.marts, 'reports')} group by status").fetchall())
        if (paths.marts / "corrections").is_dir():
            out["corrections"] = con.execute(
                f"select status, source_path, cell, value, stale_reason, report_status from "
                f"{read_mart_sql(paths.marts, 'corrections')} order by entry_no, source_path").fetchall()
        if (paths.marts / "check_results").is_dir():
            out["cross_report"] = dict(con.execute(
                f"select check_id, count(*) from {read_mart_sql(paths.marts, 'check_results')} "
                "where check_origin = 'cross_report' group by check_id order by check_id").fetchall())
            out["n_resolved"] = con.execute(
                f"select coalesce(sum(n_resolved_parts), 0) from {read_mart_sql(paths.marts, 'reports')}").fetchone()[0]
        if (paths.marts / "quarantine").is_dir():
            out["quarantine"] = con.execute(
                f"select source_path, failed_checks, suggested_repair from {read_mart_sql(paths.marts, 'quarantine')} "
                "order by source_path").fetchall()
    finally:
        con.close()
    return out


def _print_summary(paths: WarehousePaths, ok: bool, run_id: str, secs: float, failed: list[str],
                   skipped: list[str]) -> None:
    s = summary(paths)
    counts = ", ".join(f"{s['status'].get(k, 0)} {k}" for k in STATUSES)
    print(f"gongkai run: {'succeeded' if ok else 'FAILED'} in {secs:.1f}s (dagster run {run_id[:8]})")
    if failed:
        print(f"  failed steps: {', '.join(failed)}", file=sys.stderr)
    if skipped:
        print(f"  skipped (blocked by a failed check): {', '.join(skipped)}", file=sys.stderr)
    if not ok:
        print("  nothing was published by this run: the marts below are those of the last successful run",
              file=sys.stderr)
    print(f"  reports: {sum(s['status'].values())} files — {counts}")
    for path, checks, repair in s["quarantine"][:20]:
        print(f"  quarantined {path}: {', '.join(checks or [])}" + (f" — suggested repair: {repair}" if repair else ""))
    if len(s["quarantine"]) > 20:
        print(f"  … and {len(s['quarantine']) - 20} more (see the quarantine mart)")
    applied = [c for c in s["corrections"] if c[0] == "applied"]
    stale = [c for c in s["corrections"] if c[0] == "stale"]
    if s["corrections"]:
        print(f"  corrections: {len(applied)} applied, {len(stale)} stale (see the corrections mart)")
    for _, path, cell, value, _, status in applied[:20]:
        print(f"    applied {path}: {cell} = {value:g} (manual) — report {status}")
    for _, path, cell, _, why, _ in stale[:20]:
        print(f"    STALE, not applied: {path or '?'}: {cell} — {why}")
    if s["cross_report"] or s["n_resolved"]:
        warned = ", ".join(f"{k} {v}" for k, v in s["cross_report"].items()) or "none"
        print(f"  cross-report checks: warnings {warned}; {s['n_resolved']} ambiguous parts resolved")
    print(f"  marts: {paths.marts}/<name>/report_year=YYYY/*.parquet")
    print(f"    read with duckdb: SELECT * FROM read_parquet('{paths.marts}/reports/**/*.parquet', hive_partitioning=true)")
    print(f"  quality and KPI report: {paths.quality_report / 'index.html'}")
    print(f"  Great Expectations Data Docs: {paths.gx_docs / 'index.html'}")
    print("  Dagster UI: gongkai ui   ·   docs (dbt, Great Expectations, quality report): gongkai docs")


# ---------------------------------------------------------------- ui / docs


STOP_GRACE_S = 6.0  # after Ctrl-C / SIGTERM: this long for a clean shutdown, then SIGTERM, then SIGKILL (≤ 10 s)


def _default_signals() -> None:
    """In the server process: default signal handling, also when we were started with SIGINT ignored (a shell's
    background job `gongkai ui &`), so that Python turns SIGINT into a clean shutdown there."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to a process group; False when the group is gone."""
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False


def _group_alive(pgid: int) -> bool:
    return _signal_group(pgid, 0)


def _stop_group(proc: subprocess.Popen, grace: float = STOP_GRACE_S) -> None:
    """Stop a server and everything it started (its process group): SIGINT (what Ctrl-C sends; `dagster dev`
    shuts its webserver, daemon and code servers down on it), then SIGTERM, then SIGKILL."""
    for sig, wait_s in ((signal.SIGINT, grace), (signal.SIGTERM, 2.0), (signal.SIGKILL, 1.0)):
        if not _signal_group(proc.pid, sig):
            break
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if proc.poll() is not None and not _group_alive(proc.pid):
                break
            time.sleep(0.1)
        else:
            continue
        break
    try:
        proc.wait(timeout=1)
    except subprocess.TimeoutExpired:
        pass


def _serve(cmd: list[str], env: dict[str, str], cwd: Path, banner: str) -> int:
    """Run a server in its own process group until it exits or we are told to stop (Ctrl-C, SIGTERM, SIGHUP —
    from a terminal, a shell's ``kill`` of a background job, or a process manager); nothing is left behind."""
    print(banner, flush=True)
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=cwd, start_new_session=True,
                            preexec_fn=_default_signals)
    stop = {"asked": False}

    def _ask_stop(signum, _frame):
        stop["asked"] = True

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _ask_stop)
    try:
        while not stop["asked"]:
            try:
                return proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
        return 0
    finally:
        _stop_group(proc)


def ui(port: int = 3000, warehouse: Path | str | None = None, landing: Path | str | None = None,
       switch_landing: bool = False) -> int:
    """``dagster dev`` on 127.0.0.1 with this warehouse's persistent DAGSTER_HOME and its own landing folder."""
    try:
        _, paths, env = _prepare(landing, warehouse, switch_landing=switch_landing)
    except UserError as exc:
        print(f"gongkai ui: {exc}", file=sys.stderr)
        return exc.code
    _fail_interrupted_runs_if_idle(paths)
    cmd = [_bin("dagster"), "dev", "-h", "127.0.0.1", "-p", str(port), "-w", str(PROJECT_ROOT / "workspace.yaml")]
    # `dagster dev` is what we run on purpose (one process tree we can stop): not its "use dg dev" notice
    env = {**env, "PYTHONWARNINGS": "ignore:Function `dev_command` is superseded"}
    return _serve(cmd, env, PROJECT_ROOT,
                  f"Dagster UI: http://127.0.0.1:{port}  (DAGSTER_HOME={paths.dagster_home}; Ctrl-C stops it)")


def docs(port: int = 8080, warehouse: Path | str | None = None, landing: Path | str | None = None) -> int:
    """Build the docs site and serve it on 127.0.0.1: the dbt docs at ``/``, the Great Expectations Data Docs at
    ``/gx/``, the quality and KPI report at ``/quality/`` (``lib/warehouse/docs_site.py``).

    The dbt catalog is generated from a copy of the warehouse database taken while no run holds the warehouse, so
    a run can start at any moment meanwhile. During a run, the docs built last are served at once (and it says
    so); with none built yet, it waits for the run to finish and says so.
    """
    import shutil
    import tempfile

    from dagster_project.lib.warehouse import lock
    from dagster_project.lib.warehouse.dbt_manifest import dbt_env
    from dagster_project.lib.warehouse.docs_site import PORT_ENV
    from dagster_project.lib.warehouse.paths import DUCKDB_ENV

    try:
        _, paths, env = _prepare(landing, warehouse)
    except UserError as exc:
        print(f"gongkai docs: {exc}", file=sys.stderr)
        return exc.code
    target = paths.dbt_docs
    built = (target / "index.html").exists() and (target / "catalog.json").exists()
    snapshot_dir = Path(tempfile.mkdtemp(prefix="gongkai-docs-"))
    generate, waited = True, False
    try:
        while True:
            try:
                lock.acquire(paths.root)
            except lock.WarehouseBusy as exc:
                pid = exc.holder.get("pid", "?")
                if built:
                    when = time.strftime("%Y-%m-%d %H:%M", time.localtime((target / "catalog.json").stat().st_mtime))
                    print(f"gongkai docs: a gongkai run (PID {pid}) is using {paths.root}: serving the docs built "
                          f"{when}; start gongkai docs again after the run for docs of its result", flush=True)
                    generate = False
                    break
                if not waited:
                    print(f"gongkai docs: a gongkai run (PID {pid}) is using {paths.root}: waiting for it to finish "
                          "before building the docs (Ctrl-C to stop) …", flush=True)
                    waited = True
                time.sleep(1)
                continue
            try:  # a consistent copy: no run writes the database while we hold the warehouse
                for name in (paths.duckdb.name, paths.duckdb.name + ".wal"):
                    if (paths.root / name).exists():
                        shutil.copy2(paths.root / name, snapshot_dir / name)
                if (paths.gx_docs / "index.html").exists():
                    from dagster_project.lib.warehouse.gx_offline import make_offline

                    make_offline(paths.gx_docs)  # a warehouse built before the docs went offline
            finally:
                lock.release(paths.root)
            break
        if waited:
            print("gongkai docs: the run finished; building the docs", flush=True)
        if generate:
            common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                      "--target-path", str(target)]
            denv = dbt_env({**env, "DBT_LOG_PATH": str(target / "logs"),
                            DUCKDB_ENV: str(snapshot_dir / paths.duckdb.name)})
            gen = subprocess.run([_bin("dbt"), "docs", "generate", *common], env=denv, cwd=DBT_PROJECT_DIR,
                                 capture_output=True, text=True)
            if gen.returncode != 0:
                print(f"gongkai docs: dbt docs generate failed ({gen.returncode}):", gen.stdout[-3000:],
                      gen.stderr[-3000:], sep="\n", file=sys.stderr)
                return 2 if gen.returncode == 2 else 1
    finally:
        shutil.rmtree(snapshot_dir, ignore_errors=True)
    if not (paths.quality_report / "index.html").exists() and (paths.marts / "reports").is_dir():
        from dagster_project.lib.warehouse import quality_report

        quality_report.build(paths.marts, paths.quality_report,  # a warehouse published before the report existed
                             docs_links={"dbt docs": "../index.html", "Great Expectations Data Docs": "../gx/index.html"})
    for d in (paths.gx_docs, paths.quality_report):
        d.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "dagster_project.lib.warehouse.docs_site", "--port", str(port),
           "--dbt", str(target), "--gx", str(paths.gx_docs), "--quality", str(paths.quality_report)]
    base = f"http://127.0.0.1:{port}"
    return _serve(cmd, {**env, PORT_ENV: str(port)}, PROJECT_ROOT,
                  f"docs: {base}/  (dbt docs)  ·  {base}/gx/index.html  (Great Expectations Data Docs)  ·  "
                  f"{base}/quality/index.html  (quality and KPI report); Ctrl-C stops it")
