"""The one job: every asset and check, ingest → dbt → GX → publish."""

from __future__ import annotations

import dagster as dg

warehouse_job = dg.define_asset_job(
    "gongkai_all",
    selection=dg.AssetSelection.all(include_sources=False),
    description="Materialize every asset: ingest → parse → dbt → Great Expectations → publish.",
)
