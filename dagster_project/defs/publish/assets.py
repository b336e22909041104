"""Publish: every mart model (``meta.publish``) as parquet, all in one snapshot (``lib/warehouse/publish.py``):
written into ``<warehouse>/_publishes/<id>/`` and made current by flipping the ``<warehouse>/marts`` symlink.
One step, one asset per mart (``published/<mart>``, downstream of its dbt model), then the quality report.

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


OWNERS = ["team:gongkai"]
PROBLEM_MARTS = {"quarantine", "reports"}  # their materializations carry the held-back reports and a preview


def _description(model: dict) -> str:
    return (f"`<warehouse>/marts/{model['name']}/` — the dbt model `{model['name']}` published as hive-partitioned "
            "parquet (CONTRACT §2), written with every other mart in one snapshot after the Great Expectations "
            "checks passed. " + (model.get("description") or "")).strip()


def _mart_metadata(con, paths, pub, name: str, info: dict, relation: str, columns: dict | None = None) -> dict:
    from dagster_project.lib.warehouse import findings

    folder = paths.marts / name
    parts = info["partitions"]
    partitions = sorted(publish.partition_dir(k) for k in parts)
    meta = {
        "path": dg.MetadataValue.path(str(folder)),
        "publish_path": dg.MetadataValue.path(str(pub.final / name)),
        "dagster/row_count": info["rows"],
        "files": len(info["files"]),
        "partitions": dg.MetadataValue.json(partitions),
        "n_partitions": len(partitions),
        "partitions_unchanged": dg.MetadataValue.json(sorted(
            publish.partition_dir(k) for k, v in parts.items() if v["reused"])),
        "dagster/column_schema": dg.TableSchema(columns=[
            dg.TableColumn(c, t, description=d or None) for c, t, d in findings.table_columns(con, relation, columns)]),
        "read_with": dg.MetadataValue.md(
            f"```sql\nSELECT * FROM {publish.read_mart_sql(paths.marts, name)};\n```"),
    }
    if name == "quarantine":
        held_back, lines = findings.quarantine_summary(con)
        meta["quarantined_reports"] = dg.MetadataValue.md(held_back)
        meta.update(lines)
    if name == "reports":
        meta["preview"] = dg.MetadataValue.md(findings.preview_markdown(
            con, relation, ["source_path", "status", "agency_name", "report_year", "template_version", "n_errors",
                            "n_warnings"], n=20, order_by="status <> 'published', source_path"))
    return meta


def published_marts_asset(models: list[dict]) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name="publish__marts",  # the step key the run summary and its tests know
        specs=[dg.AssetSpec(["published", m["name"]], deps=[dbt_key(m["name"])], group_name="publish",
                            kinds={"parquet"}, description=_description(m), owners=OWNERS,
                            tags={"layer": "published", "contract": "marts"})
               for m in models],
    )
    def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        """Every mart into a new publish folder, made current by one symlink flip (all marts or none)."""
        paths = warehouse.paths()
        pause_point("publish", paths.state)
        removed = publish.cleanup(paths.root)
        con = store.connect(paths.duckdb, read_only=True)
        try:
            pub = publish.new_publish(paths.root, context.run_id)
            for m in models:
                pub.write(con, f'"{m["schema"]}"."{m["alias"]}"', m["name"])
            manifest = pub.commit()
            record_published_listing(paths)
            parts = [p for info in pub.marts.values() for p in info["partitions"].values()]
            linked = sum(p["reused"] for p in parts)
            context.log.info(f"published {len(pub.marts)} marts as {pub.publish_id}: {paths.marts} → {pub.final}"
                             f" ({len(parts) - linked} partitions written, {linked} unchanged and linked)"
                             + (f"; removed earlier publishes {removed}" if removed else ""))
            results = [dg.MaterializeResult(
                asset_key=dg.AssetKey(["published", m["name"]]),
                metadata={"publish_id": pub.publish_id, **_mart_metadata(
                    con, paths, pub, m["name"], manifest["marts"][m["name"]], f'"{m["schema"]}"."{m["alias"]}"',
                    m.get("columns"))})
                for m in models]
        finally:
            con.close()
        yield from results

    return published_marts


def quality_report_asset(models: list[dict]) -> dg.AssetsDefinition:
    @dg.asset(
        key=["published", "quality_report"],
        deps=[dg.AssetKey(["published", m["name"]]) for m in models],
        group_name="publish",
        kinds={"html"},
        owners=OWNERS,
        tags={"layer": "published"},
        description="Quality and KPI report of the current publish (static HTML, charts, offline): reports by "
                    "status and year, the most violated checks, quarantine with repairs, unreadable files, rates "
                    "by region and year, one page per agency. Served by `gongkai docs` at /quality/.",
    )
    def quality_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        from dagster_project.lib.warehouse import quality_report as qr
        from dagster_project.lib.warehouse.docs_site import docs_url

        paths = warehouse.paths()
        built = qr.build(paths.marts, paths.quality_report,
                         docs_links={"dbt docs": "../index.html", "Great Expectations Data Docs": "../gx/index.html"})
        context.log.info(f"quality report: {built.index} ({built.n_agency_pages} agency pages; "
                         f"{built.n_files_written} files written, the others unchanged)")
        return dg.MaterializeResult(metadata={
            "report": dg.MetadataValue.url(docs_url("quality/index.html")),
            "report_file": dg.MetadataValue.path(str(built.index)),
            "agency_pages": built.n_agency_pages, "agencies": built.n_agencies,
            "files_written": built.n_files_written,
            "report_status": dg.MetadataValue.json(built.counts),
        })

    return quality_report


@dg.definitions
def defs() -> dg.Definitions:
    models = publishable_models(dbt_project().manifest_path)
    return dg.Definitions(assets=[published_marts_asset(models), quality_report_asset(models)])
