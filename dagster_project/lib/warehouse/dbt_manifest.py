"""Make sure ``dbt/target/manifest.json`` exists and is newer than the dbt sources.

The manifest is never committed (STYLE.md anti-pattern 10): it is generated on first use with
``dbt parse`` (about 4 s), and again only when a file of the dbt project changed. Several processes
may load the definitions at once (tests, the UI's code server), so the parse runs under a file lock
into a private folder and the result is moved into place atomically.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

from dagster_project.lib.warehouse.dbt_warm import real_dbt
from dagster_project.lib.warehouse.paths import DBT_PROJECT_DIR, DUCKDB_ENV, hash_files

SOURCE_GLOBS = ("dbt_project.yml", "profiles.yml", "packages.yml", "models/**/*", "macros/**/*",
                "tests/**/*", "seeds/**/*", "snapshots/**/*", "analyses/**/*")


def newest_source_mtime(project_dir: Path = DBT_PROJECT_DIR) -> float:
    newest = 0.0
    for pattern in SOURCE_GLOBS:
        for p in project_dir.glob(pattern):
            if p.is_file():
                newest = max(newest, p.stat().st_mtime)
    return newest


def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """sha256 of every file of the dbt project (paths and bytes) and of the dbt-core and dbt-duckdb versions: the
    warehouse's incremental models are rebuilt whole when it differs from their last build's."""
    import hashlib
    from importlib.metadata import version

    h = hashlib.sha256(f"dbt-core {version('dbt-core')} dbt-duckdb {version('dbt-duckdb')}".encode())
    hash_files(h, project_dir, {p for pattern in SOURCE_GLOBS for p in project_dir.glob(pattern) if p.is_file()})
    return h.hexdigest()


def manifest_path(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    return project_dir / "target" / "manifest.json"


def is_stale(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    m = manifest_path(project_dir)
    return not m.exists() or m.stat().st_mtime < newest_source_mtime(project_dir)


def dbt_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for dbt subprocesses: quiet, offline, with a profile path even outside a run."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    env.setdefault(DUCKDB_ENV, str(DBT_PROJECT_DIR / "target" / "parse-only.duckdb"))
    env.pop("DBT_TARGET_PATH", None)
    env.pop("DBT_LOG_PATH", None)
    if extra:
        env.update(extra)
    return env


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Run ``dbt parse`` if the manifest is missing or stale; return its path."""
    target = project_dir / "target"
    if not is_stale(project_dir):
        return manifest_path(project_dir)
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_stale(project_dir):
            return manifest_path(project_dir)
        tmp = target / f".parse-{uuid.uuid4().hex[:8]}"
        try:
            proc = subprocess.run(
                [real_dbt(), "parse", "--quiet", "--project-dir", str(project_dir),
                 "--profiles-dir", str(project_dir), "--target-path", str(tmp)],
                env=dbt_env({"DBT_LOG_PATH": str(tmp)}), cwd=project_dir, capture_output=True, text=True,
            )
            if proc.returncode != 0 or not (tmp / "manifest.json").exists():
                raise RuntimeError(f"dbt parse failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
            for name in ("partial_parse.msgpack", "manifest.json"):  # manifest last: it marks completion
                if (tmp / name).exists():
                    os.replace(tmp / name, target / name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return manifest_path(project_dir)


def publishable_models(manifest: Path | None = None) -> list[dict]:
    """dbt models to publish as marts (``meta.publish: true``), as {name, schema, alias, unique_id}."""
    data = json.loads((manifest or manifest_path()).read_text())
    out = []
    for uid, node in data["nodes"].items():
        if node.get("resource_type") != "model":
            continue
        meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
        if not meta.get("publish"):
            continue
        out.append({"name": node["name"], "schema": node["schema"], "alias": node.get("alias") or node["name"],
                    "unique_id": uid, "description": node.get("description") or "",
                    "columns": {c: (v or {}).get("description") or "" for c, v in (node.get("columns") or {}).items()}})
    return sorted(out, key=lambda n: n["name"])


# ---------------------------------------------------------------- the dbt target of a warehouse
def build_target(dbt_target: Path) -> Path:
    """The one dbt target folder of a warehouse (its partial_parse.msgpack makes re-runs parse partially)."""
    return dbt_target / "build"


def parse_argv(dbt_target: Path, project_dir: Path = DBT_PROJECT_DIR) -> list[str]:
    """``dbt parse`` arguments into a warehouse's build target, for its warm dbt (:mod:`dbt_warm`).

    dbt re-parses the whole project whenever the profile's DuckDB path changes (a new warehouse, ~3 s), and
    partially (~1 s) after; parsing needs no database connection, so ``gongkai run`` has its warm dbt do it
    while the run ingests, and the build starts from that manifest.
    """
    target = build_target(dbt_target)
    target.mkdir(parents=True, exist_ok=True)
    return ["parse", "--quiet", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
            "--target-path", str(target)]
