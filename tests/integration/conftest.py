"""Fixtures for the end-to-end tests: a generated landing folder and one warehouse built from it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GONGKAI = Path(sys.executable).with_name("gongkai")
ANSHAN = REPO / "data" / "landing" / "anshan-2023.txt"


def run_gongkai(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "GONGKAI_SENSOR": "off", **(env or {})}
    return subprocess.run([str(GONGKAI), *args], capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=REPO)


def wait_until(fn, deadline_s: float, proc: subprocess.Popen | None = None, what: str = "server"):
    """Call ``fn`` every second until it returns something truthy (its exceptions mean "not up yet"); fail when
    ``proc`` exits first (with the tail of its stderr when piped) or after ``deadline_s``."""
    deadline, last = time.monotonic() + deadline_s, None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = proc.stderr.read()[-3000:] if proc.stderr else ""
            raise AssertionError(f"{what} exited early ({proc.returncode}): {tail}")
        try:
            out = fn()
            if out:
                return out
        except Exception as exc:  # noqa: BLE001 - not up yet
            last = exc
        time.sleep(1)
    raise AssertionError(f"{what} not ready after {deadline_s}s: {last}")


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group of a server started with ``start_new_session``, SIGKILL after 30 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Built:
    landing: Path
    warehouse: Path
    corpus: list  # bench.CorpusFile
    first: subprocess.CompletedProcess
    second: subprocess.CompletedProcess | None = None


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    """Generated reports (clean, broken, unreadable, duplicate) plus the Anshan sample, run once."""
    from devtools.bench import write_corpus

    root = tmp_path_factory.mktemp("e2e")
    landing, warehouse = root / "landing", root / "warehouse"
    corpus = write_corpus(landing, 14, ("html", "txt_lines", "txt_tabs", "docx", "txt_concat"), seed=11,
                          broken_share=0.2, unreadable_share=0.15, duplicate_share=0.2)
    shutil.copyfile(ANSHAN, landing / "anshan-2023.txt")
    first = run_gongkai("run", "--landing", str(landing), "--warehouse", str(warehouse))
    assert first.returncode == 0, first.stdout + first.stderr
    return Built(landing, warehouse, corpus, first)
