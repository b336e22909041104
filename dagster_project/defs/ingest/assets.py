"""Ingest: list the landing folder, parse what is new (checkpointed), build the finished report records.

Three thin assets around ``lib/warehouse`` (``landing.py``, ``ingest.py``, ``record.py``):

* ``ingest/landing_files`` — every entry of the landing folder: a file to read, or skipped with the reason;
* ``ingest/parsed_reports`` — read, hash and parse the files that need it, committing the parse cache chunk by
  chunk (a crash loses at most the chunks in flight; the next run goes on from there);
* ``raw/*`` (multi-asset ``report_records``) — one finished record per file, written to DuckDB's ``raw`` schema in
  one transaction: the one time report data crosses from Python into DuckDB.
"""

import logging
import shutil

import dagster as dg

from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.corrections import load_corrections
from dagster_project.lib.warehouse import cache, findings, ingest, landing, record, store
from dagster_project.lib.warehouse.progress import Progress
from dagster_project.lib.warehouse.testing import pause_point
from dagster_project.lib.warehouse.schema import RAW_TABLES

LISTING = "listing.parquet"
_LOG = logging.getLogger("gongkai")


def _logger(context):
    def log(msg: str) -> None:
        context.log.info(msg)
        _LOG.info(msg)

    return log


@dg.asset(key=["ingest", "landing_files"], group_name="ingest", kinds={"python"})
def landing_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every entry of the landing folder: a file to read, or skipped with the reason (symlink out of the folder,
    loop, dangling symlink, special file, folder that cannot be listed)."""
    root, paths = warehouse.landing(), warehouse.paths()
    pause_point("landing_files", paths.state)
    files, skipped = landing.scan_landing(root)
    landing.save_listing(paths.state / LISTING, files, skipped)
    for s in skipped:
        context.log.warning(f"skipped {s.source_path}: {s.reason}")
    _logger(context)(f"landing: {len(files):,} files in {root}; {len(skipped)} entries skipped")
    return dg.MaterializeResult(metadata={
        "landing_dir": dg.MetadataValue.path(str(root)), "n_files": len(files), "n_skipped": len(skipped),
        "skipped": dg.MetadataValue.json([{"source_path": s.source_path, "reason": s.reason} for s in skipped])})


@dg.asset(key=["ingest", "parsed_reports"], deps=[landing_files], group_name="ingest", kinds={"python"})
def parsed_reports(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Read and hash every file whose signature changed, parse each new content once (``parse_jobs`` workers),
    and commit the results to the parse cache chunk by chunk."""
    paths = warehouse.paths()
    pause_point("parsed_reports", paths.state)
    files, _ = landing.load_listing(paths.state / LISTING)
    version = ingest.parser_version()
    plan = ingest.plan_reads(files, cache.load_state(paths.parse_cache, version))
    log = _logger(context)
    log(f"parse: {len(plan.to_read):,} of {len(files):,} files to read ({len(files) - len(plan.to_read):,} "
        "unchanged since their last committed read)")
    with Progress("parse", len(plan.to_read), log) as bar:
        stats = ingest.read_and_parse(plan, paths.parse_cache, jobs=warehouse.parse_jobs, progress=bar.update)
    return dg.MaterializeResult(metadata={
        "n_files": stats.n_files, "n_read": stats.n_read, "n_parsed": stats.n_parsed,
        "n_cache_hits": stats.n_cache_hits, "n_worker_deaths": stats.n_worker_deaths,
        # statuses of the files read by this run only (a re-run that reads nothing records {}): the status of every
        # report is on raw/reports (report_status, held_back_reports) and on the reports_held_back check
        "parse_statuses_of_files_read": dg.MetadataValue.json(stats.statuses), "parser_version": version,
        "parse_seconds": round(stats.seconds, 2),
        "files_per_second": round(stats.n_read / stats.seconds, 1) if stats.seconds else None})


HELD_BACK_CHECK = "reports_held_back"


@dg.multi_asset(
    specs=[dg.AssetSpec(["raw", t.name], deps=[parsed_reports], group_name="ingest", kinds={"python", "duckdb"},
                        description=f"raw.{t.name}: {t.description}", owners=["team:gongkai"],
                        tags={"layer": "raw"}) for t in RAW_TABLES],
    check_specs=[dg.AssetCheckSpec(
        HELD_BACK_CHECK, asset=dg.AssetKey(["raw", "reports"]), blocking=False,
        description="Warns (never blocks) when reports of the landing folder are held back: quarantined (a hard "
                    "invariant fails: T3.H*, T4.H*, T2.H*, P.*) or unreadable. Its metadata names each report with "
                    "its failed checks, their messages and the suggested repair.")],
    name="report_records",
)
def report_records(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """One finished record per landing file (identity, status, published values, every check), corrections and
    cross-report checks included; written to DuckDB in one transaction."""
    paths = warehouse.paths()
    pause_point("report_records", paths.state)
    files, skipped = landing.load_listing(paths.state / LISTING)
    corrections_path = warehouse.corrections()
    corrections = load_corrections(corrections_path)  # validated again by `gongkai run` before anything runs
    version = ingest.parser_version()
    records_version = record.records_version(version, corrections)
    log = _logger(context)
    con = store.connect(paths.duckdb)
    try:
        previous = store.previous_records(con, records_version)
    finally:
        con.close()
    with store.RecordFiles(paths.state / "records") as out:
        res = record.build(files, skipped, paths.parse_cache, version, out, corrections, str(corrections_path),
                           progress=log, previous=previous)
    con = store.connect(paths.duckdb)
    try:
        table_rows = store.load_records(con, out, res.replaced, records_version)
        problems = findings.problem_reports(con)
        counts = findings.status_counts(con)
        cross_report_warnings, n_resolved_parts = findings.cross_report_totals(con)
    finally:
        con.close()
    shutil.rmtree(out.folder, ignore_errors=True)
    state = res.cache_state  # the build does not change the parse cache
    listing_reads = {f.source_path: state.reads[f.source_path].read_at_ns for f in files
                     if f.source_path in state.reads}
    if cache.needs_compaction(state, len(listing_reads)):
        kept = cache.compact(paths.parse_cache, listing_reads, res.referenced_keys, version)
        log(f"parse cache compacted: {state.n_rows:,} rows in {state.n_files} chunks → {kept:,} rows")
    c = res.corrections
    rebuilt = "all rebuilt" if res.replaced is None else f"{res.n_rebuilt:,} rebuilt, the others unchanged"
    log(f"records: {res.n_files:,} files ({rebuilt}) — "
        + ", ".join(f"{v:,} {k}" for k, v in sorted(res.status.items()))
        + f"; corrections {c.get('n_applied', 0)} applied, {c.get('n_stale', 0)} stale; cross-report warnings "
        f"{cross_report_warnings or 'none'}; {n_resolved_parts} ambiguous parts resolved")
    for line in c.get("stale", []):
        context.log.warning(f"stale correction, not applied: {line}")
    meta = {"report_status": dg.MetadataValue.json(res.status), "corrections_file": str(corrections_path),
            "corrections": dg.MetadataValue.json(c), "n_skipped": len(res.skipped),
            "cross_report_warnings": dg.MetadataValue.json(cross_report_warnings),
            "n_resolved_parts": n_resolved_parts, "n_records_rebuilt": res.n_rebuilt,
            "incremental": res.replaced is not None}
    held_back = findings.problems_markdown(problems, counts)
    for t in RAW_TABLES:
        extra = {"held_back_reports": dg.MetadataValue.md(held_back),
                 **findings.problem_entries(problems, total=findings.held_back_count(counts))} \
            if t.name == "reports" else {}
        yield dg.MaterializeResult(asset_key=dg.AssetKey(["raw", t.name]),
                                   metadata={"dagster/row_count": table_rows[t.name], **meta, **extra})
    n_q, n_u = counts.get("quarantined", 0), counts.get("unreadable", 0)  # all of them; ``problems`` lists the first
    for p in problems[:20]:
        context.log.info(f"{p.status} {p.source_path}: {', '.join(p.failed_checks) or p.error or ''}"
                            + (f" — suggested repair: {p.suggested_repair}" if p.suggested_repair else ""))
    yield dg.AssetCheckResult(
        asset_key=dg.AssetKey(["raw", "reports"]), check_name=HELD_BACK_CHECK, passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        description=(f"{n_q:,} quarantined, {n_u:,} unreadable: "
                     + "; ".join(f"{p.source_path} ({', '.join(p.failed_checks) or 'unreadable'})"
                                 for p in problems[:10]) + (" …" if n_q + n_u > 10 else ""))
        if problems else "every report was read and passes every hard check",
        metadata={"n_quarantined": n_q, "n_unreadable": n_u,
                  "reports": dg.MetadataValue.md(held_back),
                  **findings.problem_entries(problems, total=n_q + n_u),
                  "held_back": dg.MetadataValue.json([p.as_dict() for p in problems[:200]])})
