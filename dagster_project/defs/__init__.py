"""Dagster definitions, one folder per step of the data flow (STYLE.md §4.1):
ingest → transform (dbt) → quality (GX checks) → publish (parquet marts)."""
