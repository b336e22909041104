"""Entry point of the Dagster code location (workspace.yaml, `gongkai run/ui`).

Everything comes from ``dagster_project/defs`` (one folder per step); resources and the
in-process executor from ``defs/resources.py``. Loading needs no network and no secrets; the dbt
manifest is generated on first load if missing (``defs/transform/project.py``).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    # finds the project root (pyproject.toml [tool.dg.project] root_module) and loads dagster_project/defs
    return dg.load_from_defs_folder(path_within_project=Path(__file__).resolve().parent)
