"""Publish: write every mart model (``meta.publish``) to ``<warehouse>/marts/<name>/`` as parquet.

Downstream of the dbt marts, so the blocking GX checks on them gate it: when a suite fails, this
asset does not run and the previously published marts stay as they were (``lib/warehouse/publish.py``).
"""


import dagster as dg

from dagster_project.defs.resources import WarehouseResource
from dagster_project.defs.transform.assets import dbt_key
from dagster_project.defs.transform.project import dbt_project
from dagster_project.lib.warehouse import store
from dagster_project.lib.warehouse.dbt_manifest import publishable_models
from dagster_project.lib.warehouse.publish import cleanup_stale, publish_relation


def published_marts_asset(models: list[dict]) -> dg.AssetsDefinition:
    @dg.asset(
        key=["publish", "marts"],
        deps=[dbt_key(m["name"]) for m in models],
        group_name="publish",
        kinds={"parquet"},
        description="Hive-partitioned parquet marts under <warehouse>/marts/<name>/report_year=YYYY/ "
                    f"({', '.join(m['name'] for m in models)}), each replaced atomically.",
    )
    def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        paths = warehouse.paths()
        cleanup_stale(paths.marts)
        con = store.connect(paths.duckdb, read_only=True)
        written = {}
        try:
            for m in models:
                written[m["name"]] = publish_relation(con, f'"{m["schema"]}"."{m["alias"]}"', paths.marts, m["name"])
            status = dict(con.execute("select status, count(*) from marts.reports group by status").fetchall()) \
                if any(m["name"] == "reports" for m in models) else {}
        finally:
            con.close()
        context.log.info(f"published {len(written)} marts to {paths.marts}")
        return dg.MaterializeResult(metadata={
            "marts_dir": dg.MetadataValue.path(str(paths.marts)),
            "rows": dg.MetadataValue.json({k: v["rows"] for k, v in written.items()}),
            "report_status": dg.MetadataValue.json(status),
        })

    return published_marts


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[published_marts_asset(publishable_models(dbt_project().manifest_path))])
