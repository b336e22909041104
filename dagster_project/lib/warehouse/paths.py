"""Where things live: the project's own folders and one warehouse folder per run target.

Paths are resolved at call time (never at import time) from arguments, then environment
variables, then defaults relative to the current directory, and always returned absolute
(dbt-duckdb and DuckDB store paths as written; TOOLCHAIN.md P8).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
EXPECTATIONS_ENV = "GONGKAI_EXPECTATIONS_DIR"  # another suite folder (tests: a failing suite blocks publish)


def expectations_dir() -> Path:
    """The Great Expectations suite folder: ``$GONGKAI_EXPECTATIONS_DIR`` or the repository's ``expectations/``."""
    return Path(os.environ.get(EXPECTATIONS_ENV) or PROJECT_ROOT / "expectations")
PARSING_DIR = PROJECT_ROOT / "dagster_project" / "lib" / "parsing"

LANDING_ENV = "GONGKAI_LANDING_DIR"
WAREHOUSE_ENV = "GONGKAI_WAREHOUSE_DIR"
DUCKDB_ENV = "GONGKAI_DUCKDB_PATH"
CORRECTIONS_ENV = "GONGKAI_CORRECTIONS"
DEFAULT_LANDING = Path("data/landing")
DEFAULT_CORRECTIONS = PROJECT_ROOT / "data" / "corrections.yaml"  # the repository's, whatever the cwd
DEFAULT_WAREHOUSE = Path("warehouse")


def resolve_landing(landing: str | os.PathLike | None = None) -> Path:
    """The landing folder: argument, else ``$GONGKAI_LANDING_DIR``, else ``data/landing``."""
    raw = landing or os.environ.get(LANDING_ENV) or DEFAULT_LANDING
    return Path(raw).expanduser().resolve()


def resolve_warehouse(warehouse: str | os.PathLike | None = None) -> Path:
    """The warehouse folder: argument, else ``$GONGKAI_WAREHOUSE_DIR``, else ``warehouse``."""
    raw = warehouse or os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE
    return Path(raw).expanduser().resolve()


def resolve_corrections(corrections: str | os.PathLike | None = None) -> Path:
    """The audited corrections file (issue 4): argument, else ``$GONGKAI_CORRECTIONS``, else the repository's
    ``data/corrections.yaml``. A missing file means no corrections."""
    raw = corrections or os.environ.get(CORRECTIONS_ENV) or DEFAULT_CORRECTIONS
    return Path(raw).expanduser().resolve()


@dataclass(frozen=True)
class WarehousePaths:
    """The layout of one warehouse folder."""

    root: Path

    @property
    def duckdb(self) -> Path:
        """The DuckDB file shared by the load assets and dbt (single writer: P6)."""
        return self.root / "warehouse.duckdb"

    @property
    def marts(self) -> Path:
        """The published marts: a symlink to the current publish (``lib/warehouse/publish.py``)."""
        return self.root / "marts"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def gx_docs(self) -> Path:
        return self.root / "gx_docs"

    @property
    def dbt_target(self) -> Path:
        """Per-invocation dbt target folders (dagster-dbt makes one per run)."""
        return self.root / "dbt_target"

    @property
    def dbt_docs(self) -> Path:
        return self.root / "dbt_docs"

    @property
    def quality_report(self) -> Path:
        """The quality and KPI report (static HTML with charts), rebuilt by every publish."""
        return self.root / "quality_report"

    @property
    def parse_cache(self) -> Path:
        """Chunk files of parse results (``lib/warehouse/cache.py``), committed as they come."""
        return self.root / "parse_cache"

    @property
    def state(self) -> Path:
        """Small files handed from one step of a run to the next (the landing listing, timings)."""
        return self.root / "state"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> "WarehousePaths":
        for p in (self.root, self.dagster_home, self.dbt_target, self.state, self.logs):
            p.mkdir(parents=True, exist_ok=True)
        return self


def warehouse_env(landing: Path, warehouse: Path, corrections: Path | None = None) -> dict[str, str]:
    """Environment for every process of a run: paths, and telemetry/usage stats off (P16–P20)."""
    paths = WarehousePaths(warehouse)
    return {
        LANDING_ENV: str(landing),
        CORRECTIONS_ENV: str(corrections or resolve_corrections()),
        WAREHOUSE_ENV: str(warehouse),
        DUCKDB_ENV: str(paths.duckdb),
        "DAGSTER_HOME": str(paths.dagster_home),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "DAGSTER_DG_UPDATE_CHECK_ENABLED": "0",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "false",
    }


DAGSTER_YAML = """\
# Written by gongkai: a persistent instance so that `gongkai run` shows up in `gongkai ui`.
telemetry:
  enabled: false
nux:
  enabled: false    # no "join the community" / newsletter dialog in an offline tool
event_log_storage:   # Dagster's SQLite event log with pooled connections (dagster_project/instance_storage.py)
  module: dagster_project.instance_storage
  class: PooledSqliteEventLogStorage
  config:
    base_dir:
      env: DAGSTER_HOME
"""


def write_dagster_yaml(paths: WarehousePaths) -> Path:
    """Create ``<warehouse>/dagster_home/dagster.yaml`` (telemetry off) if it is missing."""
    paths.dagster_home.mkdir(parents=True, exist_ok=True)
    target = paths.dagster_home / "dagster.yaml"
    if not target.exists() or target.read_text() != DAGSTER_YAML:
        tmp = target.with_suffix(".yaml.tmp")
        tmp.write_text(DAGSTER_YAML)
        os.replace(tmp, target)
    return target


# ---------------------------------------------------------------- the warehouse's landing folder

BINDING_FILE = "warehouse.json"  # under <warehouse>/state/
SWITCH_ENV = "GONGKAI_SWITCH_LANDING"  # set by `--switch-landing`: rebind the warehouse to another landing folder


class LandingMismatch(ValueError):
    """A warehouse is used with another landing folder than the one it was built from."""


def bound_landing(warehouse: Path) -> Path | None:
    """The landing folder the warehouse was built from (recorded at its first run), or None."""
    import json

    try:
        return Path(json.loads((WarehousePaths(warehouse).state / BINDING_FILE).read_text())["landing"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def bind_landing(warehouse: Path, given: str | os.PathLike | None, switch: bool = False) -> Path:
    """The landing folder of a command on this warehouse: its recorded one, unless another is given.

    Given (argument or ``$GONGKAI_LANDING_DIR``) and different from the recorded one, it is an error unless
    ``switch`` (``--switch-landing``); the first run records its landing folder.
    """
    import json

    recorded = bound_landing(warehouse)
    raw = given or os.environ.get(LANDING_ENV)
    landing = resolve_landing(raw) if raw else (recorded or resolve_landing(None))
    if recorded is not None and landing != recorded and not switch:
        raise LandingMismatch(
            f"{warehouse} was built from the landing folder {recorded}, not {landing}: run with --landing "
            f"{recorded}, or add --switch-landing to rebuild this warehouse from {landing}")
    if recorded != landing:
        state = WarehousePaths(warehouse).state
        state.mkdir(parents=True, exist_ok=True)
        tmp = state / f".{BINDING_FILE}.tmp"
        tmp.write_text(json.dumps({"landing": str(landing)}, ensure_ascii=False))
        os.replace(tmp, state / BINDING_FILE)
    return landing


def check_landing(warehouse: Path, landing: Path) -> None:
    """Refuse a run on another landing folder than the warehouse's (UI-launched runs, sensors)."""
    recorded = bound_landing(warehouse)
    if recorded is not None and landing != recorded and os.environ.get(SWITCH_ENV) != "1":
        raise LandingMismatch(f"{warehouse} was built from the landing folder {recorded}, not {landing}: "
                              f"start the UI with `gongkai ui --warehouse {warehouse}` (it uses {recorded})")


def hash_files(h, root: Path, files) -> None:
    """Feed each file (its path relative to ``root``, then its bytes), in sorted order, into the hash ``h``: the
    fingerprints of the parser, the record rules and the dbt project (cached work is reused only when they match)."""
    for p in sorted(files):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
