"""Run the Great Expectations suites of ``expectations/`` on compact frames (GX 1.x, pandas route).

A suite module (``expectations/<mart>.py``) declares ``MART`` and ``PARTS``: each part is a
:class:`SuitePart` — a DuckDB query that turns the fact table(s) into a compact frame (one row per
report × applicant type, with computed left/right sides of each invariant), and a function that
returns the expectations to hold on it. GX cannot read DuckDB through its SQL datasource
(TOOLCHAIN.md P5), so the frame is read into pandas and validated as a whole-dataframe batch.

``great_expectations`` is imported lazily (about 5 s), only when a suite is run.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from dagster_project.lib.warehouse.paths import expectations_dir


@dataclass(frozen=True)
class SuitePart:
    """One GX suite over one compact frame."""

    name: str  # GX suite name, e.g. "fct_outcomes.row_totals"
    sql: str  # DuckDB query; {table} placeholders are replaced by relation names
    expectations: Callable[[], Sequence[Any]]  # builds gx.expectations objects (GX imported inside)
    description: str = ""


@dataclass
class PartResult:
    suite: str
    success: bool
    rows: int
    evaluated: int
    failed: list[dict] = field(default_factory=list)
    checked: list[tuple[str, bool]] = field(default_factory=list)  # (description, success) of every expectation


@dataclass
class MartResult:
    mart: str
    success: bool
    parts: list[PartResult]
    seconds: float

    @property
    def failed(self) -> list[dict]:
        return [f | {"suite": p.suite} for p in self.parts for f in p.failed]

    def summary(self) -> dict:
        """Plain metadata for the Dagster check result."""
        return {
            "mart": self.mart,
            "success": self.success,
            "suites": [p.suite for p in self.parts],
            "rows_validated": {p.suite: p.rows for p in self.parts},
            "expectations_evaluated": sum(p.evaluated for p in self.parts),
            "failed_expectations": self.failed,
            "seconds": round(self.seconds, 2),
        }


def suite_names() -> list[str]:
    """The marts that have a suite module in ``expectations/``."""
    return sorted(p.stem for p in expectations_dir().glob("*.py") if not p.stem.startswith("_"))


PACKAGE = "gongkai_expectations"


def load_suite_module(mart: str, directory: Path | None = None) -> ModuleType:
    """Import ``expectations/<mart>.py`` (the folder is loaded as package ``gongkai_expectations``:
    it is not an installed package, and a top-level name ``expectations`` would be too generic)."""
    directory = directory or expectations_dir()
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PACKAGE, directory / "__init__.py", submodule_search_locations=[str(directory)])
        if spec is None or spec.loader is None:
            raise FileNotFoundError(directory)
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{PACKAGE}.{mart}")


_CONTEXTS: dict[str, Any] = {}
_PREWARM: threading.Thread | None = None
_DOCS: threading.Thread | None = None  # Data Docs being built (build_docs_in_background)


def prewarm_gx() -> None:
    """Import great_expectations in a background thread (no-op if already done or started).

    Called while a long subprocess (dbt) keeps this process idle, so the later checks start warm.
    """
    global _PREWARM
    if _PREWARM is not None or "great_expectations" in sys.modules:
        return

    def _imp() -> None:
        try:
            import great_expectations  # noqa: F401
            import great_expectations.expectations  # noqa: F401
        except Exception:
            pass

    _PREWARM = threading.Thread(target=_imp, name="gx-prewarm", daemon=True)
    _PREWARM.start()


def gx_context(docs_dir: Path | None = None):
    """One ephemeral GX context per process (and Data Docs folder), progress bars off (P20)."""
    key = str(docs_dir or "")
    if _PREWARM is not None:
        _PREWARM.join()
    wait_for_docs()  # the contexts are not shared with a Data Docs build under way
    if key in _CONTEXTS:
        return _CONTEXTS[key]
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        ctx.add_data_docs_site(
            site_name="gongkai",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    ctx.data_sources.add_pandas("gongkai_frames")
    _CONTEXTS[key] = ctx
    return ctx


def _failed_rows(er) -> dict:
    cfg = er.expectation_config
    res = er.result or {}
    kwargs = {k: v for k, v in (cfg.kwargs or {}).items() if k in ("column", "column_A", "column_B", "column_list",
                                                                      "min_value", "max_value", "value_set")}
    idx = res.get("partial_unexpected_index_list") or res.get("unexpected_index_list") or []
    ids = []
    for item in idx[:20]:
        ids.append(item.get("report_id") if isinstance(item, dict) else item)
    return {
        "expectation": cfg.type,
        "kwargs": {k: (list(v) if isinstance(v, (set, tuple)) else v) for k, v in kwargs.items()},
        "description": (cfg.meta or {}).get("invariant") or cfg.description,
        "unexpected_count": res.get("unexpected_count"),
        "sample_report_ids": [str(i) for i in ids if i is not None],
        "sample_values": [str(v) for v in (res.get("partial_unexpected_list") or [])[:10]],
    }


def build_docs(docs_dir: Path) -> Path:
    """Write GX Data Docs of the validations run in this process (with this docs folder) into it.

    The context is ephemeral, so the site describes this run only; the pages of earlier runs' validations
    are removed first rather than left unlinked on disk run after run.
    """
    shutil.rmtree(docs_dir / "validations", ignore_errors=True)
    try:
        gx_context(docs_dir).build_data_docs(site_names=["gongkai"])
    except Exception:  # docs are a by-product; never fail a validation on them
        return docs_dir / "index.html"
    from dagster_project.lib.warehouse.gx_offline import make_offline

    make_offline(docs_dir)  # no CDN: the pages load the vendored jQuery/Bootstrap/… beside them
    return docs_dir / "index.html"


def build_docs_in_background(docs_dir: Path) -> Path:
    """:func:`build_docs` in a thread, while the caller goes on (the run publishes meanwhile, mostly in DuckDB,
    which leaves the interpreter free); returns the index page it writes. The thread is not a daemon: the process
    does not exit before the pages are written, and the next use of a GX context waits for it
    (:func:`wait_for_docs`)."""
    global _DOCS
    wait_for_docs()

    def _build() -> None:
        try:
            build_docs(docs_dir)
        except Exception as exc:  # noqa: BLE001 - a by-product: say so, never fail the run for it
            import logging

            logging.getLogger("gongkai").warning(f"GX Data Docs not written to {docs_dir}: {exc}")

    _DOCS = threading.Thread(target=_build, name="gx-data-docs")
    _DOCS.start()
    return docs_dir / "index.html"


def wait_for_docs() -> None:
    """Wait until a Data Docs build started by :func:`build_docs_in_background` is done."""
    if _DOCS is not None and _DOCS is not threading.current_thread():
        _DOCS.join()


def run_part(ctx, part: SuitePart, frame, run_name: str | None = None, data_asset: str | None = None) -> PartResult:
    """Validate one frame against one part's expectations.

    ``run_name`` (e.g. the Dagster run) and ``data_asset`` (what the frame was read from) are recorded in the
    validation result, so the Data Docs say which run and which table a page is about."""
    import datetime as dt

    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=part.name, expectations=list(part.expectations())))
    asset_name = part.name.replace(".", "__")
    ds = ctx.data_sources.get("gongkai_frames")
    try:
        asset = ds.get_asset(asset_name)
    except LookupError:
        asset = ds.add_dataframe_asset(asset_name)
    try:
        batch_def = asset.get_batch_definition("whole")
    except (KeyError, LookupError):
        batch_def = asset.add_batch_definition_whole_dataframe("whole")
    vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=part.name, data=batch_def, suite=suite))
    fmt = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
    if "report_id" in frame.columns:
        fmt["unexpected_index_column_names"] = ["report_id"]
    run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.timezone.utc)) if run_name else None
    result = vd.run(batch_parameters={"dataframe": frame}, result_format=fmt, run_id=run_id)
    if data_asset:
        _record_data_asset(ctx, result, part.name, data_asset)
    failed = [_failed_rows(er) for er in result.results if not er.success]
    checked = [(er.expectation_config.description or (er.expectation_config.meta or {}).get("invariant")
                or er.expectation_config.type, bool(er.success)) for er in result.results]
    return PartResult(part.name, bool(result.success), len(frame), len(result.results), failed, checked)


def _record_data_asset(ctx, result, suite: str, data_asset: str) -> None:
    """A dataframe batch has no asset name in its batch spec (the Data Docs print "Data asset: None"): name it, in
    the result and in the copy the context stored for the Data Docs."""
    spec = dict(result.meta.get("batch_spec") or {})
    spec["data_asset_name"] = data_asset
    result.meta["batch_spec"] = spec
    store = ctx.validation_results_store
    run_id = result.meta.get("run_id")
    for key in store.list_keys():
        if key.expectation_suite_identifier.name == suite and key.run_id == run_id:
            store.set(key, result)


def validate(con, mart: str, relations: dict[str, str] | None = None, docs_dir: Path | None = None,
             module: ModuleType | None = None, build: bool = True, run_name: str | None = None) -> MartResult:
    """Run every part of ``expectations/<mart>.py`` on frames queried from ``con``.

    ``relations`` maps the placeholders of the parts' SQL (mart names) to relations; by default
    ``{name}`` -> ``marts.{name}``.
    """
    t0 = time.perf_counter()
    if _PREWARM is not None:
        _PREWARM.join()
    module = module or load_suite_module(mart)
    rel = _Relations(relations or {})
    ctx = gx_context(docs_dir)
    parts = []
    for part in module.PARTS:
        frame = con.execute(part.sql.format_map(rel)).df()
        parts.append(run_part(ctx, part, frame, run_name=run_name,
                              data_asset=f"{mart} (frame {part.name} of {', '.join(_tables(part.sql, rel))})"))
    if docs_dir is not None and build:
        build_docs(docs_dir)
    return MartResult(mart, all(p.success for p in parts), parts, time.perf_counter() - t0)


def _tables(sql: str, rel: dict) -> list[str]:
    import string

    names = [f for _, f, _, _ in string.Formatter().parse(sql) if f]
    return [rel[n] for n in dict.fromkeys(names)]


class _Relations(dict):
    def __missing__(self, key: str) -> str:
        return f"marts.{key}"
