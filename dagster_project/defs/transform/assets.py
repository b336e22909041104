"""dbt models and sources as Dagster assets.

Keys: sources are ``[raw, <table>]`` — exactly the keys of the record assets, so the graph joins by
construction; models with a folder schema are ``[<schema>, <model>]`` (e.g. ``[marts, fct_outcomes]``).
Groups come from ``meta.dagster.group`` in ``dbt_project.yml``. The assets are built when the definitions
load (they need the manifest), never at import.
"""


import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from dagster_project.defs.resources import WarehouseResource
from dagster_project.defs.transform.project import dbt_project
from dagster_project.lib.warehouse.dbt_manifest import build_target, wait_background_parse
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
        wait_background_parse()  # `gongkai run` may have started dbt parse for a fresh warehouse
        # dbt runs as a subprocess while this process only reads its log: import Great Expectations meanwhile
        prewarm_gx()
        yield from dbt.cli(["build"], context=context, target_path=target).stream()

    return _gongkai_dbt


def dbt_key(model: str) -> dg.AssetKey:
    """The asset key of a dbt model."""
    from dagster_dbt import get_asset_key_for_model

    return get_asset_key_for_model([gongkai_dbt()], model)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[gongkai_dbt()])
