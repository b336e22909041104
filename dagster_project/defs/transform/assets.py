"""dbt models and sources as Dagster assets.

Keys: sources are ``[raw, <table>]`` — exactly the keys of the ingest load assets, so the graph
joins by construction; models with a folder schema are ``[<schema>, <model>]`` (e.g.
``[marts, fct_outcomes]``). Groups come from ``meta.dagster.group`` in ``dbt_project.yml``.
"""


import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from dagster_project.defs.resources import WarehouseResource
from dagster_project.defs.transform.project import dbt_project
from dagster_project.lib.warehouse.dbt_manifest import build_target, wait_background_parse
from dagster_project.lib.warehouse.paths import DUCKDB_ENV
from dagster_project.lib.warehouse.quality import prewarm_gx



class GongkaiDbtTranslator(DagsterDbtTranslator):
    """Group from ``meta.dagster.group``; models without one fall back to their top folder."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        group = super().get_group_name(dbt_resource_props)
        if group:
            return group
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else "transform"


translator = GongkaiDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator,
            name="gongkai_dbt")
def gongkai_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """`dbt build`: staging views, report classification, fact and accounting marts, dbt tests."""
    paths = warehouse.paths()
    # dbt's profile reads the DuckDB path from the environment of its subprocess
    os.environ[DUCKDB_ENV] = str(paths.duckdb)
    # one target folder per warehouse: dbt's partial_parse.msgpack there lets the next run skip a full
    # parse (~5 s; dbt re-parses fully whenever the profile's DuckDB path differs, i.e. a new warehouse).
    # Runs on one warehouse cannot overlap anyway: DuckDB allows a single writer.
    target = build_target(paths.dbt_target)
    wait_background_parse()  # `gongkai run` may have started dbt parse for a fresh warehouse
    # dbt runs as a subprocess for ~15 s while this process only reads its log: import Great
    # Expectations (~5–10 s) meanwhile, for the checks that follow.
    prewarm_gx()
    yield from dbt.cli(["build"], context=context, target_path=target).stream()
