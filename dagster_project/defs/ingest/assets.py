"""Ingest: scan the landing folder, parse new content, load parse rows into DuckDB.

Three thin assets around ``lib/warehouse/ingest.py``. They hand work to each other through the
``batch`` schema of the warehouse DuckDB (not through pickled outputs), and each opens DuckDB only
briefly: dbt needs the file to itself afterwards (single writer, TOOLCHAIN.md P6).
"""


import time

import dagster as dg
import pyarrow as pa

from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.warehouse import ingest as I

RAW_TABLES = tuple(I.RAW_DDL)  # landing_files, parsed_reports, t2_cells, t3_cells, t4_cells, checks, codes

SCAN_SCHEMA = pa.schema([("source_path", pa.string()), ("size_bytes", pa.int64()), ("mtime_ns", pa.int64()),
                         ("needs_read", pa.bool_()), ("content_sha256", pa.string()), ("parse_key", pa.string())])


@dg.asset(key=["ingest", "landing_scan"], group_name="ingest", kinds={"python", "duckdb"})
def landing_scan(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """List the landing folder (path, size, mtime) and decide which files must be read.

    A file whose size and mtime are unchanged, and whose content was parsed by the current parser
    version, is not read again.
    """
    landing, paths = warehouse.landing(), warehouse.paths()
    listing = I.scan_landing(landing)
    con = I.connect(paths.duckdb)
    try:
        previous, cached = I.previous_state(con)
        plan = I.plan_reads(listing, previous, cached)
        to_read = {f.source_path for f in plan.to_read}
        rows = [(f.source_path, f.size_bytes, f.mtime_ns, f.source_path in to_read,
                 *(plan.known.get(f.source_path) or (None, None))) for f in listing]
        cols = list(zip(*rows)) if rows else [[] for _ in SCAN_SCHEMA]
        tbl = pa.Table.from_arrays([pa.array(list(c), type=t.type) for c, t in zip(cols, SCAN_SCHEMA)],
                                   schema=SCAN_SCHEMA)
        con.register("_scan", tbl)
        con.execute("create or replace table batch.landing_scan as select * from _scan")
    finally:
        con.close()
    context.log.info(f"{len(listing)} files in {landing}; {len(plan.to_read)} to read")
    return dg.MaterializeResult(metadata={
        "landing_dir": str(landing), "n_files": len(listing), "n_to_read": len(plan.to_read),
        "n_unchanged": len(listing) - len(plan.to_read)})


@dg.asset(key=["ingest", "parsed_batch"], deps=[landing_scan], group_name="ingest", kinds={"python"})
def parsed_batch(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Read each planned file once, hash it, and parse the same bytes when the content is new.

    Parsing runs in a process pool (``parse_jobs`` workers) when there are many files; the new
    parse rows are staged in ``batch.*`` for the load step.
    """
    landing, paths = warehouse.landing(), warehouse.paths()
    con = I.connect(paths.duckdb)
    try:
        scan = con.execute("select source_path, size_bytes, mtime_ns, needs_read, content_sha256, parse_key "
                           "from batch.landing_scan order by source_path").fetchall()
        _, cached = I.previous_state(con)
    finally:
        con.close()
    listing = [I.FileStat(r[0], r[1], r[2]) for r in scan]
    plan = I.Plan(listing, [I.FileStat(r[0], r[1], r[2]) for r in scan if r[3]],
                  {r[0]: (r[4], r[5]) for r in scan if not r[3]})
    t0 = time.perf_counter()
    listing_tbl, tables, stats = I.parse_new(landing, plan, cached, jobs=warehouse.parse_jobs)
    secs = time.perf_counter() - t0
    con = I.connect(paths.duckdb)
    try:
        I.write_batch(con, listing_tbl, tables)
    finally:
        con.close()
    context.log.info(f"read {stats.n_read} files, parsed {stats.n_parsed} new contents "
                     f"({stats.n_cache_hits} already cached) in {secs:.1f}s")
    return dg.MaterializeResult(metadata={
        "n_files": stats.n_files, "n_read": stats.n_read, "n_parsed": stats.n_parsed,
        "n_cache_hits": stats.n_cache_hits, "parse_statuses": dg.MetadataValue.json(stats.statuses),
        "parser_version": I.parser_version(), "parse_seconds": round(secs, 2)})


@dg.multi_asset(
    specs=[dg.AssetSpec(["raw", name], deps=[parsed_batch], group_name="ingest", kinds={"duckdb"},
                        description=f"raw.{name} in the warehouse DuckDB (see dbt source `raw`)")
           for name in RAW_TABLES],
    name="raw_tables",
)
def raw_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Merge the staged batch into the ``raw`` tables in one transaction (bulk, via Arrow)."""
    con = I.connect(warehouse.paths().duckdb)
    try:
        counts = I.load_batch(con)
    finally:
        con.close()
    for name in RAW_TABLES:
        yield dg.MaterializeResult(asset_key=dg.AssetKey(["raw", name]),
                                   metadata={"dagster/row_count": counts[name]})


AGENCY_INT_COLUMNS = ("first_year", "last_year", "n_reports")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", "agencies"], deps=[["raw", "landing_files"], ["raw", "parsed_reports"]],
                     group_name="ingest", kinds={"python", "duckdb"},
                     description="raw.agencies: one row per agency (lib/agency.py: region, level, kind)"),
        dg.AssetSpec(["raw", "agency_names"], deps=[["raw", "landing_files"], ["raw", "parsed_reports"]],
                     group_name="ingest", kinds={"python", "duckdb"},
                     description="raw.agency_names: each parsed agency_name → its agency_id"),
    ],
    name="raw_agency_tables",
)
def raw_agency_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Agency dimension rows computed in Python (NFKC names, GB/T 2260 regions) for the analysis marts."""
    from dagster_project.lib import agency  # imports the region library lazily

    con = I.connect(warehouse.paths().duckdb)
    try:
        reports = [{"agency_name": r[0], "report_year": r[1]} for r in con.execute(
            "select p.agency_name, p.report_year from raw.landing_files f "
            "join raw.parsed_reports p using (parse_key) where p.agency_name is not null").fetchall()]
        tables = agency.agency_tables(reports)
        columns = {
            "agencies": list(agency.DIM_AGENCY_COLUMNS) + ["name_variants", "first_year", "last_year", "n_reports",
                                                          "region_match"],
            "agency_names": ["agency_name", "agency_id"],
        }
        counts = {}
        for name, rows in tables.items():
            schema = pa.schema([(c, pa.int64() if c in AGENCY_INT_COLUMNS else pa.string()) for c in columns[name]])
            tbl = pa.Table.from_pylist([{c: r.get(c) for c in columns[name]} for r in rows], schema=schema)
            con.register("_agency", tbl)
            con.execute(f"create or replace table raw.{name} as select * from _agency")
            con.unregister("_agency")
            counts[name] = len(rows)
    finally:
        con.close()
    for name, n in counts.items():
        yield dg.MaterializeResult(asset_key=dg.AssetKey(["raw", name]), metadata={"dagster/row_count": n})
