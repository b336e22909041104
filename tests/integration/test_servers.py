"""`gongkai ui` and `gongkai docs` serve on 127.0.0.1; a page is fetched from each, then they are stopped."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

from .conftest import GONGKAI, REPO, free_port, stop_group, wait_until

pytestmark = pytest.mark.integration


def start(*args: str) -> subprocess.Popen:
    env = {**os.environ, "GONGKAI_SENSOR": "off"}
    return subprocess.Popen([str(GONGKAI), *args], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def fetch(url: str, data: bytes | None = None, timeout: float = 5) -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", errors="replace")


def test_ui_serves_assets_and_checks(built):
    port = free_port()
    proc = start("ui", "--port", str(port), "--warehouse", str(built.warehouse))
    try:
        status, body = wait_until(lambda: fetch(f"http://127.0.0.1:{port}/server_info"), 180, proc)
        assert status == 200 and "dagster_webserver_version" in body
        query = json.dumps({"query": "{ assetNodes { assetKey { path } hasAssetChecks } }"}).encode()

        def assets():
            _, text = fetch(f"http://127.0.0.1:{port}/graphql", query, timeout=30)
            nodes = json.loads(text).get("data", {}).get("assetNodes") or []
            return nodes or None

        nodes = wait_until(assets, 180, proc)
        keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
        assert {"ingest/landing_files", "ingest/parsed_reports", "raw/t3_cells", "marts/fct_outcomes",
                "published/fct_outcomes", "published/quality_report"} <= keys
        assert any(n["hasAssetChecks"] for n in nodes if n["assetKey"]["path"] == ["marts", "fct_outcomes"])
        runs = json.dumps({"query": "{ runsOrError { ... on Runs { results { runId status } } } }"}).encode()
        _, text = fetch(f"http://127.0.0.1:{port}/graphql", runs, timeout=30)
        assert json.loads(text)["data"]["runsOrError"]["results"], "runs of `gongkai run` are visible"
        where = json.dumps({"query": "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"}).encode()
        _, text = fetch(f"http://127.0.0.1:{port}/graphql", where, timeout=30)
        names = [e["name"] for e in json.loads(text)["data"]["workspaceOrError"]["locationEntries"]]
        assert names == ["gongkai"]
    finally:
        stop_group(proc)


def test_docs_serves_index(built):
    port = free_port()
    proc = start("docs", "--port", str(port), "--warehouse", str(built.warehouse))
    try:
        status, body = wait_until(lambda: fetch(f"http://127.0.0.1:{port}/index.html"), 180, proc)
        assert status == 200 and "dbt" in body
        status, manifest = fetch(f"http://127.0.0.1:{port}/manifest.json")
        nodes = json.loads(manifest)["nodes"]
        outcomes = nodes["model.gongkai.fct_outcomes"]
        assert status == 200 and "自然人" in json.loads(manifest)["docs"]["doc.gongkai.applicant_type_codes"]["block_contents"]
        assert outcomes["columns"]["applicant_type"]["description"]
        status, catalog = fetch(f"http://127.0.0.1:{port}/catalog.json")
        assert status == 200 and "fct_applications" in catalog
    finally:
        stop_group(proc)


def _group_members(pgid: int) -> list[int]:
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.getpgid(int(p)) == pgid:
                    out.append(int(p))
            except ProcessLookupError:
                pass
    return out


@pytest.mark.parametrize("how", ["terminal", "background job"])
def test_ui_stops_within_10_s_of_sigterm_leaving_nothing(built, how):
    """SIGTERM to `gongkai ui` (what Ctrl-C forwards, what `kill PID` of a shell background job sends, what a
    process manager sends) ends it and every Dagster process it started within 10 s. A background job starts
    with SIGINT ignored: the servers must still shut down cleanly."""
    port = free_port()
    env = {**os.environ, "GONGKAI_SENSOR": "off"}
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if how == "background job" else None
    proc = subprocess.Popen([str(GONGKAI), "ui", "--port", str(port), "--warehouse", str(built.warehouse)], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ignore)
    try:
        wait_until(lambda: fetch(f"http://127.0.0.1:{port}/server_info")[0] == 200, 180, proc)
        children = [int(c) for c in open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()]
        assert children, "gongkai ui runs dagster dev"
        server_group = os.getpgid(children[0])
        assert len(_group_members(server_group)) >= 3  # dagster dev, webserver, daemon, code server …
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        assert time.monotonic() - t0 <= 10
        assert _group_members(server_group) == []
    finally:
        if proc.poll() is None:
            stop_group(proc)


def _paused_run(wh, step: str = "dbt") -> subprocess.Popen:
    """A `gongkai run` holding the warehouse, paused at ``step`` (test hook), as a run in progress."""
    (wh / "state" / f"paused-{step}").unlink(missing_ok=True)
    env = {**os.environ, "GONGKAI_SENSOR": "off", "GONGKAI_TEST_PAUSE_AT": step}
    proc = subprocess.Popen([str(GONGKAI), "run", "--warehouse", str(wh)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 180
    while not (wh / "state" / f"paused-{step}").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the run did not reach its pause point"
        time.sleep(0.5)
    return proc


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def _read_until(proc: subprocess.Popen, needle: str, timeout_s: float) -> str:
    """stdout of ``proc`` up to the line holding ``needle``."""
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    out, deadline = "", time.monotonic() + timeout_s
    while needle not in out:
        assert time.monotonic() < deadline, f"{needle!r} not printed; got {out!r}"
        assert proc.poll() is None, f"exited ({proc.returncode}): {out}{proc.stderr.read()[-2000:]}"
        if sel.select(timeout=0.5):
            out += proc.stdout.readline()
    return out


def test_docs_during_a_run_waits_then_builds_and_later_serves_the_last_build(built, tmp_path):
    """`gongkai docs` started while a run holds the warehouse: with no docs built yet it says it waits, and builds
    them once the run ends; with docs built earlier it serves those at once and says so (issue 9: it used to
    crash on DuckDB's lock). The docs never open the live database (they generate from a copy)."""
    wh = tmp_path / "wh"
    shutil.copytree(built.warehouse, wh, symlinks=True)
    shutil.rmtree(wh / "dbt_docs", ignore_errors=True)
    env = {**os.environ, "GONGKAI_SENSOR": "off"}
    run = _paused_run(wh)
    port = free_port()
    docs = subprocess.Popen([str(GONGKAI), "docs", "--port", str(port), "--warehouse", str(wh)], cwd=REPO, env=env,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = _read_until(docs, "waiting for it to finish", 120)
        assert f"PID {run.pid}" in said
        time.sleep(3)
        with pytest.raises(OSError):  # nothing served while it waits
            fetch(f"http://127.0.0.1:{port}/index.html", timeout=2)
        _kill(run)  # the run ends (the kernel releases its lock)
        status, _ = wait_until(lambda: fetch(f"http://127.0.0.1:{port}/index.html"), 180, docs)
        _, catalog = fetch(f"http://127.0.0.1:{port}/catalog.json")
        assert status == 200 and "fct_applications" in catalog
        for page in ("gx/index.html", "quality/index.html"):
            assert fetch(f"http://127.0.0.1:{port}/{page}")[0] == 200
    finally:
        _kill(run)
        stop_group(docs)
    run = _paused_run(wh)
    port = free_port()
    t0 = time.monotonic()
    docs = subprocess.Popen([str(GONGKAI), "docs", "--port", str(port), "--warehouse", str(wh)], cwd=REPO, env=env,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = _read_until(docs, "serving the docs built", 60)
        assert f"PID {run.pid}" in said
        status, body = wait_until(lambda: fetch(f"http://127.0.0.1:{port}/index.html"), 60, docs)
        assert status == 200 and "dbt" in body and run.poll() is None  # served while the run is still going
        assert time.monotonic() - t0 < 60
    finally:
        _kill(run)
        stop_group(docs)
