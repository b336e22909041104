"""Helpers of the reliability suite: small landing folders, gongkai runs as a user starts them (subprocesses, in
their own session so kill -9 takes the whole tree), and the consistency check of a published snapshot."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from tests.integration.conftest import ANSHAN, GONGKAI, REPO

FACT_MARTS = ("fct_applications", "fct_outcomes", "fct_appeals", "fct_proactive_disclosure", "check_results",
              "quarantine")


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    return {**out, "GONGKAI_SENSOR": "off", "GONGKAI_PROGRESS": "off", **extra}


def run(*args: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(GONGKAI), *args], capture_output=True, text=True, timeout=timeout, env=env(**extra),
                          cwd=REPO)


def start(*args: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen([str(GONGKAI), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env(**extra), cwd=REPO, start_new_session=True)


def kill_tree(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def wait_for(cond, timeout: float = 300, every: float = 0.05) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(every)
    return False


def read(warehouse: Path, sql: str) -> list[tuple]:
    """Run ``sql`` over the published marts of a warehouse, each mart as a view of the contract's glob."""
    con = duckdb.connect()
    try:
        marts = warehouse / "marts"
        for p in marts.iterdir():
            if p.is_dir():
                con.execute(f"create view {p.name} as select * from read_parquet('{p}/**/*.parquet', "
                            "hive_partitioning=true)")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def assert_one_consistent_publish(warehouse: Path) -> dict:
    """The marts are one publish: every fact mart's report_id is in reports, and every mart has the row count its
    ``_publish.json`` states."""
    manifest = json.loads((warehouse / "marts" / "_publish.json").read_text())
    for name, rows in manifest["rows"].items():
        assert read(warehouse, f"select count(*) from {name}") == [(rows,)], name
    for name in FACT_MARTS:
        orphans = read(warehouse, f"select count(*) from {name} where report_id not in (select report_id from reports)")
        assert orphans == [(0,)], name
    return manifest


SNAPSHOT_SQL = (
    "select report_id, source_path, status, n_errors, n_warnings, n_ambiguous, canonical_report_id from reports",
    "select report_id, applicant_type, received_new, carried_in, outcome_total, carried_out from fct_applications",
    "select report_id, applicant_type, outcome_code, count, value_origin from fct_outcomes",
    "select report_id, proceeding, result, count from fct_appeals",
    "select report_id, item, measure, value from fct_proactive_disclosure",
    "select report_id, check_seq, check_id, severity, check_origin, message from check_results",
    "select report_id, failed_checks, suggested_repair from quarantine",
)


def snapshot(warehouse: Path) -> list[list[tuple]]:
    return [sorted(read(warehouse, sql), key=repr) for sql in SNAPSHOT_SQL]


@pytest.fixture(scope="session")
def base_landing(tmp_path_factory) -> Path:
    """40 generated reports (clean, broken, unreadable, duplicate) and the Anshan sample."""
    from devtools.bench import write_corpus

    root = tmp_path_factory.mktemp("reliability") / "base"
    write_corpus(root, 40, ("html", "txt_lines", "txt_concat", "docx"), seed=5, broken_share=0.15,
                 unreadable_share=0.1, duplicate_share=0.1)
    shutil.copyfile(ANSHAN, root / "anshan-2023.txt")
    return root


@pytest.fixture(scope="session")
def extra_files(tmp_path_factory) -> Path:
    """More reports, added to a landing folder between two runs."""
    from devtools.bench import write_corpus

    root = tmp_path_factory.mktemp("reliability") / "extra"
    write_corpus(root, 12, ("html", "txt_tabs"), seed=6, broken_share=0.2)
    return root


def copy_landing(src: Path, dst: Path, *more: Path) -> Path:
    shutil.copytree(src, dst)
    for m in more:
        for p in m.iterdir():
            shutil.copy2(p, dst / f"extra-{p.name}")
    return dst
