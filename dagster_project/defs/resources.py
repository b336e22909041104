"""Resources and executor. Paths resolve at run time from the environment (never at import)."""


from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

from dagster_project.defs.transform.project import dbt_project
from dagster_project.lib.warehouse.dbt_warm import client_executable
from dagster_project.lib.warehouse import lock
from dagster_project.lib.warehouse.paths import (
    WarehousePaths,
    check_landing,
    resolve_corrections,
    resolve_landing,
    resolve_warehouse,
)


class WarehouseResource(dg.ConfigurableResource):
    """The landing folder and the warehouse folder of a run.

    Unset fields fall back to ``$GONGKAI_LANDING_DIR`` / ``$GONGKAI_WAREHOUSE_DIR`` /
    ``$GONGKAI_CORRECTIONS`` and then to ``data/landing`` / ``warehouse`` (CONTRACT §1) / the repository's
    ``data/corrections.yaml``, resolved when a run uses them.
    """

    landing_dir: str | None = None
    warehouse_dir: str | None = None
    corrections_file: str | None = None
    parse_jobs: int = 2

    def corrections(self) -> Path:
        return resolve_corrections(self.corrections_file)

    def landing(self) -> Path:
        """The landing folder, which must be the warehouse's own (a mismatch fails the step, never switches)."""
        landing = resolve_landing(self.landing_dir)
        check_landing(resolve_warehouse(self.warehouse_dir), landing)
        return landing

    def paths(self) -> WarehousePaths:
        """The warehouse folder, held by this process for the rest of the run (one writer per warehouse)."""
        paths = WarehousePaths(resolve_warehouse(self.warehouse_dir)).ensure()
        lock.acquire(paths.root)
        return paths


class GongkaiDbtCliResource(DbtCliResource):
    """DbtCliResource that takes the dbt version from the installed package.

    The stock resource runs ``dbt --version`` (about 4 s here, and it tries to reach PyPI) once per
    run to learn what the pinned package already tells us (TOOLCHAIN.md P15).
    """

    @cached_property
    def _cli_version(self) -> version.Version:  # type: ignore[override]
        from importlib.metadata import version as pkg_version

        return version.parse(pkg_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # type: ignore[override]
        # The in-process adapter only serves row-count/column metadata fetches, which we do not use
        # (they would also open the DuckDB file while dbt writes it: P6). Skipping it saves ~2 s.
        return None


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": WarehouseResource(),
            "dbt": GongkaiDbtCliResource(project_dir=dbt_project(), dbt_executable=client_executable(),
                                     global_config_flags=["--no-use-colors", "--log-level-file", "warn"]),
        },
        executor=dg.in_process_executor,  # one process: no re-import per step on 2 cores (P14)
    )
