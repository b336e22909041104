"""Great Expectations suites (``expectations/``) as blocking asset checks on the dbt marts.

One check per suite module (``gx_<mart>`` on the dbt model ``<mart>``), all evaluated in one step:
the compact frames are read from the warehouse DuckDB through one read-only connection (closed
before returning) and validated with GX 1.x called directly — dagster-ge does not support GX 1.x
(TOOLCHAIN.md P3). Every check is ``blocking``: a failed one stops the publish asset in the same run.
"""

import dagster as dg

from dagster_project.defs.resources import WarehouseResource
from dagster_project.defs.transform.assets import dbt_key
from dagster_project.lib.warehouse import store
from dagster_project.lib.warehouse.docs_site import docs_url
from dagster_project.lib.warehouse.findings import markdown_table
from dagster_project.lib.warehouse.quality import suite_names
from dagster_project.lib.warehouse.testing import pause_point

# GX suites (domain.md §3 invariant families) by the mart they validate.
SUITE_DESCRIPTIONS = {
    "fct_applications": "T3.H1 column balance, T3.H2 row totals of the input rows, T3.H5 non-negative integers",
    "fct_outcomes": "T3.H2 row totals of the leaf rows, T3.H3 outcome totals, T3.H5",
    "fct_appeals": "T4.H1 totals, T4.H2 non-negative integers",
    "fct_proactive_disclosure": "T2.H1–T2.H3 non-negative counts and fees",
    "reports": "accounting: published ⇒ no hard error, quarantined ⇒ one, unreadable ⇒ reason, duplicate ⇒ canonical",
}


def _result(mart: str, result, docs: str) -> dg.AssetCheckResult:
    summary = result.summary()
    return dg.AssetCheckResult(
        asset_key=dbt_key(mart),
        check_name=f"gx_{mart}",
        passed=result.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "suites": dg.MetadataValue.json(summary["suites"]),
            "rows_validated": dg.MetadataValue.json(summary["rows_validated"]),
            "expectations_evaluated": summary["expectations_evaluated"],
            "failed_expectations": dg.MetadataValue.json(summary["failed_expectations"]),
            "expectations": dg.MetadataValue.md(markdown_table(
                ["suite", "expectation (invariant — 中文)", "result"],
                [[p.suite, d, "passed" if ok else "FAILED"] for p in result.parts for d, ok in p.checked],
                max_rows=200)),
            "data_docs": dg.MetadataValue.url(docs_url("gx/index.html")),
            "data_docs_file": dg.MetadataValue.path(docs),
            "seconds": summary["seconds"],
        },
    )


def gx_suites_check(marts: list[str]) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name="gx_suites",
        specs=[
            dg.AssetCheckSpec(
                f"gx_{mart}",
                asset=dbt_key(mart),
                blocking=True,
                description=f"Great Expectations suite `expectations/{mart}.py`: {SUITE_DESCRIPTIONS.get(mart, '')}",
            )
            for mart in marts
        ],
        description="Runs every Great Expectations suite of expectations/ (one step: one DuckDB read-only "
                    "connection, one GX context, Data Docs built once).",
    )
    def gx_suites(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        from dagster_project.lib.warehouse import quality  # GX is imported lazily (pre-warmed during dbt)

        paths = warehouse.paths()
        con = store.connect(paths.duckdb, read_only=True)
        pause_point("gx", paths.state)
        results = {}
        try:
            for mart in marts:
                results[mart] = quality.validate(con, mart, docs_dir=paths.gx_docs, build=False,
                                                 run_name=f"dagster-run-{context.run.run_id[:8]}")
        finally:
            con.close()
        docs = quality.build_docs_in_background(paths.gx_docs)  # written while the run goes on
        for mart, result in results.items():
            if not result.success:
                context.log.error(f"GX suite {mart} failed: {result.failed}")
            yield _result(mart, result, str(docs))

    return gx_suites


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=[gx_suites_check(suite_names())])
