"""The dbt project handle (own module: TOOLCHAIN.md P11)."""

from __future__ import annotations

from dagster_dbt import DbtProject

from dagster_project.lib.warehouse.dbt_manifest import ensure_manifest
from dagster_project.lib.warehouse.paths import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path="target")
# The manifest is never committed: generate it when missing or older than the dbt sources
# (a no-op stat walk otherwise), under a lock because tests and the UI load definitions concurrently.
ensure_manifest(DBT_PROJECT_DIR)
