"""A sensor that starts a run when the landing folder changes (new, changed or removed files)."""


import hashlib
import os

import dagster as dg

from dagster_project.defs.jobs import warehouse_job
from dagster_project.lib.warehouse.landing import scan_landing
from dagster_project.lib.warehouse.paths import WarehousePaths, resolve_corrections, resolve_landing, resolve_warehouse

SENSOR_ENV = "GONGKAI_SENSOR"  # "off" starts the sensor stopped (tests); default: running


def listing_digest(listing, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for f in listing:
        h.update(f"{f.source_path}\t{f.size_bytes}\t{f.mtime_ns}\t{f.ctime_ns}\n".encode("utf-8", "backslashreplace"))
    return h.hexdigest()


DIGEST_FILE = "landing_digest"  # under <warehouse>/state/: the listing digest of the last successful run


def published_digest() -> str | None:
    """The listing digest recorded by the last successful run's publish (None before the first)."""
    try:
        return (WarehousePaths(resolve_warehouse()).state / DIGEST_FILE).read_text().strip() or None
    except OSError:
        return None


def corrections_stamp() -> str:
    """Size and mtime of the corrections file: editing it is a reason for a run too."""
    p = resolve_corrections()
    try:
        st = p.stat()
    except OSError:
        return f"{p}\tmissing\n"
    return f"{p}\t{st.st_size}\t{st.st_mtime_ns}\n"


def _default_status() -> dg.DefaultSensorStatus:
    off = os.environ.get(SENSOR_ENV, "").lower() in ("off", "0", "false", "stopped")
    return dg.DefaultSensorStatus.STOPPED if off else dg.DefaultSensorStatus.RUNNING


def landing_changes(context: dg.SensorEvaluationContext):
    files, _ = scan_landing(resolve_landing())
    if not files:
        return dg.SkipReason("landing folder is empty")
    digest = listing_digest(files, corrections_stamp())
    # a new sensor (no cursor yet: the UI was just started) starts from the last successful run's state
    last = context.cursor or published_digest()
    if digest == last:
        if context.cursor is None:
            context.update_cursor(digest)
        return dg.SkipReason("no new or changed files since the last run")
    context.update_cursor(digest)
    return dg.RunRequest(run_key=digest, tags={"gongkai/trigger": "landing_sensor", "gongkai/files": str(len(files))})


@dg.definitions
def defs() -> dg.Definitions:
    # built when the definitions load (not at import): the default status reads the environment
    sensor = dg.sensor(job=warehouse_job, minimum_interval_seconds=30, default_status=_default_status(),
                       name="landing_sensor",
                       description="Runs the whole pipeline when the landing folder's listing (or the corrections "
                                   "file) changes; the run itself only reads files whose signature changed and only "
                                   "parses new content.")(landing_changes)
    return dg.Definitions(sensors=[sensor])
