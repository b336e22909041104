"""The ``gongkai`` console script (CONTRACT §1): run, parse, ui, docs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.group()
def main() -> None:
    """gongkai — annual reports on government information disclosure, parsed and checked."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jsonl", is_flag=True, help="one compact JSON object per line (default: indented JSON per file)")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="make source_path relative to this folder (default: as given)")
@click.option("--jobs", "-j", type=int, default=1, show_default=True, help="worker processes")
@click.option("--progress/--no-progress", default=None, help="progress bar on stderr (default: when a TTY)")
def parse(paths: tuple[Path, ...], jsonl: bool, root: Path | None, jobs: int, progress: bool | None) -> None:
    """Parse report files (or every file under a folder) and print one JSON object per file."""
    from dagster_project.lib.parsing.api import iter_files, parse_many

    files = list(iter_files(paths))
    show = sys.stderr.isatty() if progress is None else progress
    out = sys.stdout
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="report", file=sys.stderr)
    for result in parse_many(files, root=root, jobs=jobs):
        if jsonl:
            out.write(json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            out.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()


LANDING_HELP = ("landing folder (default: the warehouse's own, recorded at its first run; for a new warehouse "
                "$GONGKAI_LANDING_DIR or data/landing)")
WAREHOUSE_HELP = "warehouse folder (default: $GONGKAI_WAREHOUSE_DIR or warehouse)"
SWITCH_HELP = "rebuild the warehouse from another landing folder than the one it was built from"


@main.command()
@click.option("--landing", type=click.Path(path_type=Path), default=None, help=LANDING_HELP)
@click.option("--warehouse", type=click.Path(path_type=Path), default=None, help=WAREHOUSE_HELP)
@click.option("--corrections", type=click.Path(path_type=Path), default=None,
              help="audited corrections file (default: $GONGKAI_CORRECTIONS or the repository's data/corrections.yaml)")
@click.option("--switch-landing", is_flag=True, help=SWITCH_HELP)
def run(landing: Path | None, warehouse: Path | None, corrections: Path | None, switch_landing: bool) -> None:
    """Materialize every asset: ingest → parse → corrections and cross-report checks → dbt → Great
    Expectations → publish. Exit 0 on success (quarantined reports included), 2 for a problem to fix, 3 when
    another run holds the warehouse, 1 for an internal failure."""
    from dagster_project import warehouse_cli

    code = warehouse_cli.run(landing=landing, warehouse=warehouse, corrections=corrections,
                             switch_landing=switch_landing)
    _exit_now(code)


def _exit_now(code: int) -> None:
    """Exit without tearing the interpreter down. A run has imported ~4,700 modules (Dagster, dbt, Great
    Expectations, pandas): Python's finalization of them took ~1.5 s of every `gongkai run`, after the run had
    closed its files, database connections and Dagster instance. The GX Data Docs, written by a thread while the run
    publishes, are waited for; then streams and log handlers are flushed."""
    import logging
    import os

    quality = sys.modules.get("dagster_project.lib.warehouse.quality")
    if quality is not None:
        quality.wait_for_docs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


@main.command()
@click.option("--port", type=int, default=3000, show_default=True)
@click.option("--warehouse", type=click.Path(path_type=Path), default=None, help=WAREHOUSE_HELP)
@click.option("--landing", type=click.Path(path_type=Path), default=None, help=LANDING_HELP)
@click.option("--switch-landing", is_flag=True, help=SWITCH_HELP)
def ui(port: int, warehouse: Path | None, landing: Path | None, switch_landing: bool) -> None:
    """Start the Dagster UI on 127.0.0.1, on the warehouse's own landing folder."""
    from dagster_project import warehouse_cli

    sys.exit(warehouse_cli.ui(port=port, warehouse=warehouse, landing=landing, switch_landing=switch_landing))


@main.command()
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--warehouse", type=click.Path(path_type=Path), default=None, help=WAREHOUSE_HELP)
@click.option("--landing", type=click.Path(path_type=Path), default=None, help=LANDING_HELP)
def docs(port: int, warehouse: Path | None, landing: Path | None) -> None:
    """Build and serve the docs on 127.0.0.1: dbt docs, Great Expectations Data Docs (/gx/) and the quality and
    KPI report (/quality/), offline; during a run, the last docs built (or it waits for the run and says so)."""
    from dagster_project import warehouse_cli

    sys.exit(warehouse_cli.docs(port=port, warehouse=warehouse, landing=landing))


if __name__ == "__main__":
    main()
