"""Pure warehouse helpers (no Dagster import): paths, ingest/load, parquet publish, GX runner.

The Dagster definitions under ``dagster_project/defs`` are thin adapters around these functions.
"""
