"""The warm dbt of ``gongkai run`` (dbt_warm): the client behaves as dbt would, through the server or without it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dagster_project.lib.warehouse import dbt_warm
from dagster_project.lib.warehouse.dbt_manifest import dbt_env
from dagster_project.lib.warehouse.paths import DBT_PROJECT_DIR, DUCKDB_ENV

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract Unix sockets are Linux's")

CLIENT = Path(sys.executable).with_name("gongkai-dbt")


def _env(tmp_path: Path) -> dict[str, str]:
    return dbt_env({DUCKDB_ENV: str(tmp_path / "w.duckdb"), "DBT_LOG_PATH": str(tmp_path / "logs")})


def _parse_args(target: Path) -> list[str]:
    return ["parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target), "--log-format", "json"]


def _pids_of_dbt_runs(stdout: str) -> set[int]:
    """The process ids dbt wrote in its JSON log lines (info.pid)."""
    pids = set()
    for line in stdout.splitlines():
        if line.startswith("{"):
            pids.add(json.loads(line)["info"]["pid"])
    return pids


def _wait_dead(pid: int, timeout: float = 20) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":  # dead, waiting for a reaper (an orphan's new parent may never reap it)
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not CLIENT.exists(), reason="gongkai-dbt is installed by `make setup`")
def test_client_runs_dbt_in_the_server_once_then_falls_back_to_dbt(tmp_path):
    warm = dbt_warm.start(_env(tmp_path), cwd=DBT_PROJECT_DIR)
    assert warm is not None
    try:
        env = {**_env(tmp_path), dbt_warm.SERVER_ENV: warm.name}
        first = subprocess.run([str(CLIENT), *_parse_args(tmp_path / "t1")], env=env, cwd=DBT_PROJECT_DIR,
                               capture_output=True, text=True, timeout=300)
        # dbt's JSON log came through the client's own stdout, written by the server process
        assert first.returncode == 0, first.stderr
        assert _pids_of_dbt_runs(first.stdout) == {warm.proc.pid}
        assert (tmp_path / "t1" / "manifest.json").exists()
        assert warm.proc.wait(20) == 0  # one call per server: it is gone
        # the same variable now names no server: the client runs the real dbt itself, with the same result
        second = subprocess.run([str(CLIENT), *_parse_args(tmp_path / "t2")], env=env, cwd=DBT_PROJECT_DIR,
                                capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        pids = _pids_of_dbt_runs(second.stdout)
        assert len(pids) == 1 and warm.proc.pid not in pids
        assert (tmp_path / "t2" / "manifest.json").exists()
    finally:
        warm.stop()
    assert dbt_warm.SERVER_ENV not in os.environ


@pytest.mark.skipif(not CLIENT.exists(), reason="gongkai-dbt is installed by `make setup`")
def test_client_returns_dbts_exit_code_through_the_server(tmp_path):
    bad = ["parse", "--no-such-flag"]
    direct = subprocess.run([dbt_warm.real_dbt(), *bad], env=_env(tmp_path), cwd=DBT_PROJECT_DIR,
                            capture_output=True, text=True, timeout=120)
    warm = dbt_warm.start(_env(tmp_path), cwd=DBT_PROJECT_DIR)
    try:
        via = subprocess.run([str(CLIENT), *bad], env={**_env(tmp_path), dbt_warm.SERVER_ENV: warm.name},
                             cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=120)
        assert warm.proc.wait(20) == direct.returncode
    finally:
        warm.stop()
    assert direct.returncode == via.returncode == 2
    assert "no such option" in via.stderr.lower()


def test_server_parses_first_when_asked(tmp_path):
    target = tmp_path / "build"
    warm = dbt_warm.start(_env(tmp_path), _parse_args(target), cwd=DBT_PROJECT_DIR)
    try:
        end = time.monotonic() + 120
        while not (target / "manifest.json").exists() and time.monotonic() < end:
            assert warm.proc.poll() is None  # it waits for its one call after the parse
            time.sleep(0.2)
        assert (target / "manifest.json").exists() and (target / "partial_parse.msgpack").exists()
    finally:
        warm.stop()
    assert warm.proc.poll() is not None


def test_server_dies_with_the_process_that_started_it(tmp_path):
    """``kill -9`` of ``gongkai run`` must not leave a dbt server behind."""
    code = ("import sys, time; from dagster_project.lib.warehouse import dbt_warm;"
            "w = dbt_warm.start({**__import__('os').environ}); print(w.proc.pid, flush=True); time.sleep(600)")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    server_pid = int(parent.stdout.readline())
    time.sleep(1.0)
    os.kill(server_pid, 0)  # alive while its parent is
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert _wait_dead(server_pid)
