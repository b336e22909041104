"""The dbt project handle (own module: TOOLCHAIN.md P11), behind a cached function: nothing runs at import."""

from __future__ import annotations

from functools import lru_cache

from dagster_dbt import DbtProject

from dagster_project.lib.warehouse.dbt_manifest import ensure_manifest
from dagster_project.lib.warehouse.paths import DBT_PROJECT_DIR


@lru_cache(maxsize=1)
def dbt_project() -> DbtProject:
    """The project, with its manifest. ``make setup`` parses it once; here ``dbt parse`` runs only when the
    manifest is missing or older than a dbt source file (an edit in development), under a lock."""
    ensure_manifest(DBT_PROJECT_DIR)
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path="target")
