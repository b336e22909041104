"""Publish: every mart model (``meta.publish``) as parquet, all in one snapshot (``lib/warehouse/publish.py``):
written into ``<warehouse>/_publishes/<id>/`` and made current by flipping the ``<warehouse>/marts`` symlink.

Downstream of the dbt marts, so the blocking GX checks on them gate it: when a suite fails, this
asset does not run and the previously published marts stay as they were.
"""


import dagster as dg

from dagster_project.defs.ingest.sensors import DIGEST_FILE, corrections_stamp, listing_digest
from dagster_project.defs.resources import WarehouseResource
from dagster_project.defs.transform.assets import dbt_key
from dagster_project.defs.transform.project import dbt_project
from dagster_project.lib.warehouse import store
from dagster_project.lib.warehouse.dbt_manifest import publishable_models
from dagster_project.lib.warehouse.testing import pause_point
from dagster_project.lib.warehouse import publish


def record_published_listing(paths) -> None:
    """What the landing folder looked like for this publish, for the sensor of a UI started later: it does not
    start a run for a folder that has not changed since (``defs/ingest/sensors.py``)."""
    from dagster_project.defs.ingest.assets import LISTING
    from dagster_project.lib.warehouse.landing import load_listing

    files, _ = load_listing(paths.state / LISTING)
    tmp = paths.state / f".{DIGEST_FILE}.tmp"
    tmp.write_text(listing_digest(files, corrections_stamp()))
    tmp.replace(paths.state / DIGEST_FILE)


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
        pause_point("publish", paths.state)
        removed = publish.cleanup(paths.root)
        con = store.connect(paths.duckdb, read_only=True)
        try:
            pub = publish.new_publish(paths.root, context.run_id)
            for m in models:
                pub.write(con, f'"{m["schema"]}"."{m["alias"]}"', m["name"])
            status = dict(con.execute("select status, count(*) from marts.reports group by status").fetchall()) \
                if any(m["name"] == "reports" for m in models) else {}
        finally:
            con.close()
        manifest = pub.commit()
        record_published_listing(paths)
        context.log.info(f"published {len(pub.marts)} marts as {pub.publish_id}: {paths.marts} → {pub.final}"
                         + (f"; removed earlier publishes {removed}" if removed else ""))
        return dg.MaterializeResult(metadata={
            "marts_dir": dg.MetadataValue.path(str(paths.marts)),
            "publish_id": pub.publish_id,
            "publish_path": dg.MetadataValue.path(str(pub.final)),
            "rows": dg.MetadataValue.json(manifest["rows"]),
            "report_status": dg.MetadataValue.json(status),
        })

    return published_marts


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[published_marts_asset(publishable_models(dbt_project().manifest_path))])
