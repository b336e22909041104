"""dbt models and sources as Dagster assets.

Keys: sources are ``[raw, <table>]`` — exactly the keys of the record assets, so the graph joins by
construction; models with a folder schema are ``[<schema>, <model>]`` (e.g. ``[marts, fct_outcomes]``).
Groups come from ``meta.dagster.group`` in ``dbt_project.yml``. The assets are built when the definitions
load (they need the manifest), never at import.
"""


import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from dagster_project.defs.resources import WarehouseResource
from dagster_project.defs.transform.project import dbt_project
from dagster_project.lib.warehouse.dbt_manifest import build_target, project_fingerprint
from dagster_project.lib.warehouse.paths import DUCKDB_ENV
from dagster_project.lib.warehouse.quality import prewarm_gx
from dagster_project.lib.warehouse.testing import pause_point


class GongkaiDbtTranslator(DagsterDbtTranslator):
    """Group from ``meta.dagster.group``; models without one fall back to their top folder."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        group = super().get_group_name(dbt_resource_props)
        if group:
            return group
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else "transform"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        """``meta.owner`` of the model (dbt_project.yml gives every folder one)."""
        owner = ((dbt_resource_props.get("config") or {}).get("meta") or {}).get("owner")
        return [owner] if owner else super().get_owners(dbt_resource_props)

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        """dagster-dbt takes a check's description from ``meta.description`` only: use the test's own
        ``description:`` (what it checks, in words)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        node = manifest["nodes"].get(unique_id) or {}
        description = node.get("description") or spec.description
        return spec._replace(description=description) if description else spec


@lru_cache(maxsize=1)
def gongkai_dbt() -> dg.AssetsDefinition:
    """The dbt assets (one ``dbt build``), built once per process from the manifest."""
    project = dbt_project()
    translator = GongkaiDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=translator,
                name="gongkai_dbt")
    def _gongkai_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        """`dbt build`: staging views, fact and analysis marts, dbt tests."""
        paths = warehouse.paths()
        pause_point("dbt", paths.state)
        # dbt's profile reads the DuckDB path from the environment of its subprocess
        os.environ[DUCKDB_ENV] = str(paths.duckdb)
        # one target folder per warehouse: dbt's partial_parse.msgpack there lets the next run skip a full parse
        target = build_target(paths.dbt_target)
        # the fact models are incremental: only the reports whose records changed since the last complete build
        # are rebuilt, unless the raw tables were rebuilt whole or the dbt project changed (then every model is)
        fingerprint = project_fingerprint()
        full_refresh, n_changed = dbt_build_mode(paths.duckdb, fingerprint)
        context.log.info(f"dbt: every model rebuilt ({full_refresh})" if full_refresh else
                         f"dbt: incremental fact models, the rows of {n_changed:,} changed reports rebuilt")
        # dbt runs as a subprocess while this process only reads its log: import Great Expectations meanwhile
        prewarm_gx()
        # DuckDB has one writer: dbt holds the file until it exits, so the row counts and column types of the models
        # are read once dbt is done (read-only), and the events are yielded then, with them
        invocation = dbt.cli(["build", *(["--full-refresh"] if full_refresh else [])], context=context,
                             target_path=target, raise_on_error=False)
        events = list(invocation.stream())
        error = invocation.get_error()
        if error is None and not context.is_subset:  # every model is built: nothing is pending any more
            from dagster_project.lib.warehouse import store

            con = store.connect(paths.duckdb)
            try:
                store.record_dbt_build(con, fingerprint)
            finally:
                con.close()
        yield from with_table_metadata(events, paths.duckdb, project.manifest_path)
        if error is not None:
            raise error

    return _gongkai_dbt


def dbt_build_mode(duckdb_path, fingerprint: str) -> tuple[str | None, int]:
    """(why every model must be rebuilt or None, how many reports changed) before a dbt build."""
    from dagster_project.lib.warehouse import store

    if not duckdb_path.exists():
        return "a new warehouse", 0
    con = store.connect(duckdb_path, read_only=True)
    try:
        reason = store.dbt_full_refresh_reason(con, fingerprint)
        return reason, (0 if reason else store.n_changed_reports(con))
    finally:
        con.close()


def _relations(manifest_path) -> dict[str, tuple[str, dict[str, str]]]:
    """unique_id -> (DuckDB relation, column descriptions) of every dbt model."""
    import json

    nodes = json.loads(open(manifest_path, encoding="utf-8").read())["nodes"]
    return {uid: (f'"{n["schema"]}"."{n.get("alias") or n["name"]}"',
                  {c: (v or {}).get("description") or "" for c, v in (n.get("columns") or {}).items()})
            for uid, n in nodes.items() if n.get("resource_type") == "model"}


def with_table_metadata(events: list, duckdb_path, manifest_path):
    """The dbt events, model materializations with their row count, column schema and (for the marts a person
    reads first: reports, quarantine) a preview / the held-back reports."""
    from dagster_project.lib.warehouse import findings, store

    relations = _relations(manifest_path)
    try:
        con = store.connect(duckdb_path, read_only=True)
    except Exception:  # noqa: BLE001 - metadata is a by-product: never lose the events for it
        yield from events
        return
    try:
        for ev in events:
            uid = getattr(ev, "metadata", {}).get("unique_id") if isinstance(
                ev, (dg.Output, dg.AssetMaterialization)) else None
            found = relations.get(getattr(uid, "value", uid)) if uid is not None else None
            if found is None:
                yield ev
                continue
            rel, docs = found
            try:
                extra = {"dagster/row_count": findings.row_count(con, rel),
                         "dagster/column_schema": dg.TableSchema(columns=[
                             dg.TableColumn(c, t, description=d or None)
                             for c, t, d in findings.table_columns(con, rel, docs)])}
                if rel == '"marts"."quarantine"':
                    held_back, lines = findings.quarantine_summary(con)
                    extra["quarantined_reports"] = dg.MetadataValue.md(held_back)
                    extra.update(lines)
                elif rel == '"marts"."reports"':
                    extra["preview"] = dg.MetadataValue.md(findings.preview_markdown(
                        con, rel, ["source_path", "status", "agency_name", "report_year", "n_errors", "n_warnings"],
                        n=20, order_by="status <> 'published', source_path"))
            except Exception:  # noqa: BLE001 - a model that failed to build has no table
                yield ev
                continue
            yield ev.with_metadata({**ev.metadata, **extra})
    finally:
        con.close()


def dbt_key(model: str) -> dg.AssetKey:
    """The asset key of a dbt model."""
    from dagster_dbt import get_asset_key_for_model

    return get_asset_key_for_model([gongkai_dbt()], model)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[gongkai_dbt()])
