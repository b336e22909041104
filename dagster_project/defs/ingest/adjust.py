"""Adjust: audited corrections, cross-report checks and resolutions, on every run (issue 4).

A thin asset around ``lib/warehouse/adjust.py``: it reads the parse rows of the current listing from
``raw.*`` (so the parse cache never hides a change of the corrections file), applies the corrections file,
runs the cross-report checks and writes four ``raw`` tables that dbt's classification and marts read.
"""


import dagster as dg

from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.corrections import load_corrections
from dagster_project.lib.warehouse import adjust as A
from dagster_project.lib.warehouse import ingest as I

ADJUST_TABLES = tuple(A.SCHEMAS)  # report_adjustments, cell_adjustments, derived_checks, corrections
_DESCRIPTIONS = {
    "report_adjustments": "raw.report_adjustments: status, counts and ambiguity of each report after corrections, "
                          "cross-report checks and resolutions",
    "cell_adjustments": "raw.cell_adjustments: cells whose published value is not the parser's reading "
                        "(value_origin manual / resolved), with the value as printed",
    "derived_checks": "raw.derived_checks: check rows that are not the parser's (re-check after correction, "
                      "CORRECTION.applied / CORRECTION.stale, cross-report X.S1, T2.S2, T2.S3, X.S8, X.S10)",
    "corrections": "raw.corrections: every entry of the corrections file, applied or stale",
}
_UPSTREAM = [["raw", n] for n in ("landing_files", "parsed_reports", "t2_cells", "t3_cells", "t4_cells", "checks",
                                  "agency_names")]


@dg.multi_asset(
    specs=[dg.AssetSpec(["raw", name], deps=_UPSTREAM, group_name="ingest", kinds={"python", "duckdb"},
                        description=_DESCRIPTIONS[name]) for name in ADJUST_TABLES],
    name="raw_adjustments",
)
def raw_adjustments(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Apply the corrections file and the cross-report checks to the parsed reports (every run)."""
    path = warehouse.corrections()
    corrections = load_corrections(path)  # a malformed file fails the run: it is the analyst's input
    con = I.connect(warehouse.paths().duckdb)
    try:
        adjusted = A.run(con, corrections, str(path))
    finally:
        con.close()
    s = adjusted.summary
    context.log.info(f"corrections ({path}): {s['n_applied']} applied, {s['n_stale']} stale; cross-report "
                     f"warnings {s['cross_report_warnings']}; {s['n_resolved_parts']} ambiguous parts resolved")
    for line in s["stale"]:
        context.log.info(f"stale correction, not applied: {line}")
    counts = {name: t.num_rows for name, t in adjusted.tables().items()}
    meta = {"corrections_file": str(path), "n_corrections": s["n_corrections"], "n_applied": s["n_applied"],
            "n_stale": s["n_stale"], "stale": dg.MetadataValue.json(s["stale"]),
            "cross_report_warnings": dg.MetadataValue.json(s["cross_report_warnings"]),
            "n_resolved_parts": s["n_resolved_parts"], "n_reports_loaded": s["n_loaded"]}
    for name in ADJUST_TABLES:
        yield dg.MaterializeResult(asset_key=dg.AssetKey(["raw", name]),
                                   metadata={"dagster/row_count": counts[name], **meta})
