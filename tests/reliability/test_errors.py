"""Errors a person can act on (issue 7): one line, the right exit code, no traceback, nothing lost."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reliability.conftest import copy_landing, kill_tree, run, start, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(base_landing, tmp_path_factory):
    """A warehouse with one successful publish (reused read-only by the tests that only need to fail on it)."""
    root = tmp_path_factory.mktemp("errors")
    landing = copy_landing(base_landing, root / "landing")
    wh = root / "wh"
    done = run("run", "--landing", str(landing), "--warehouse", str(wh))
    assert done.returncode == 0, done.stdout + done.stderr
    return landing, wh


def _one_line(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def _publish_id(wh: Path) -> str:
    return json.loads((wh / "marts" / "_publish.json").read_text())["publish_id"]


def test_a_second_concurrent_run_exits_3_with_one_line(built, tmp_path):
    landing, wh = built
    first = start("run", "--landing", str(landing), "--warehouse", str(wh), GONGKAI_TEST_PAUSE_AT="parsed_reports")
    try:
        assert wait_for(lambda: (wh / "state" / "paused-parsed_reports").exists())
        second = run("run", "--landing", str(landing), "--warehouse", str(wh), timeout=120)
        assert second.returncode == 3
        line = _one_line(second)
        assert line == (f"gongkai run: another gongkai run (PID {first.pid}) is using {wh}; wait for it to finish "
                        "or stop it")
    finally:
        (wh / "state" / "paused-parsed_reports").unlink(missing_ok=True)
        kill_tree(first)


@pytest.mark.parametrize("content,why", [
    ("- report: [unclosed\n", "not valid YAML"),
    ("- {source_path: a.txt, cell: granted__total, value: abc, original: 0, reason: r, who: w, when: 2024-05-01}\n",
     "value must be a number"),
    ("- {source_path: a.txt, cell: granted__total, value: .nan, original: 0, reason: r, who: w, when: 2024-05-01}\n",
     "value must be a finite number"),
    ("- {source_path: a.txt, cell: granted__total, value: [1, 2], original: 0, reason: r, who: w, when: 2024-05-01}\n",
     "value must be a number"),
    ("- {source_path: a.txt, cell: granted__total, value: 7.5, original: 0, reason: r, who: w, when: 2024-05-01}\n",
     "must be a whole number"),
    ("- {source_path: a.txt, cell: granted__total, value: -5, original: 0, reason: r, who: w, when: 2024-05-01}\n",
     "cannot be negative"),
    ("- {source_path: a.txt, cell: granted__total, value: true, original: 0, reason: r, who: w, when: 2024-05-01}\n",
     "value must be a number"),
    ("- {source_path: a.txt, cell: granted__total, value: 1234567890123456789012345678901234567890, original: 0, "
     "reason: r, who: w, when: 2024-05-01}\n", "beyond the plausibility bound"),
])
def test_a_bad_corrections_file_exits_2_and_publishes_nothing(built, tmp_path, content, why):
    landing, wh = built
    before = _publish_id(wh)
    corr = tmp_path / "corrections.yaml"
    corr.write_text(content, encoding="utf-8")
    proc = run("run", "--landing", str(landing), "--warehouse", str(wh), "--corrections", str(corr))
    assert proc.returncode == 2
    line = _one_line(proc)
    assert line.startswith("gongkai run: cannot use the corrections file:") and why in line
    assert _publish_id(wh) == before


def test_a_damaged_database_exits_2_with_a_hint(base_landing, tmp_path):
    landing = copy_landing(base_landing, tmp_path / "landing")
    wh = tmp_path / "wh"
    assert run("run", "--landing", str(landing), "--warehouse", str(wh)).returncode == 0
    db = wh / "warehouse.duckdb"
    data = bytearray(db.read_bytes())
    data[:4096] = b"\xde\xad" * 2048  # the header is gone
    db.write_bytes(bytes(data))
    proc = run("run", "--landing", str(landing), "--warehouse", str(wh))
    assert proc.returncode == 2
    line = _one_line(proc)
    assert line.startswith(f"gongkai run: the warehouse database {db} cannot be opened")
    assert "move it away and run again" in line
    db.rename(db.with_suffix(".broken"))  # the hint works: the next run rebuilds it
    again = run("run", "--landing", str(landing), "--warehouse", str(wh))
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_full_disk_exits_2_and_keeps_the_previous_marts_and_log(base_landing, extra_files, tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        landing = copy_landing(base_landing, tmp_path / "landing")
        wh = mnt / "wh"
        ok = run("run", "--landing", str(landing), "--warehouse", str(wh))
        assert ok.returncode == 0, ok.stdout + ok.stderr
        before = _publish_id(wh)
        log_before = (wh / "logs" / "last_run.log").read_text()
        for p in extra_files.iterdir():  # new reports: the next run has to write
            shutil.copy2(p, landing / f"extra-{p.name}")
        filler = mnt / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True)  # until the disk is full
        full = run("run", "--landing", str(landing), "--warehouse", str(wh))
        assert full.returncode == 2, full.stdout + full.stderr
        assert "disk full" in full.stderr and "Traceback" not in full.stderr
        assert _publish_id(wh) == before  # the previous marts are intact and current
        assert (wh / "logs" / "previous_run.log").read_text() == log_before  # the previous log is kept
        filler.unlink()
        again = run("run", "--landing", str(landing), "--warehouse", str(wh))
        assert again.returncode == 0, again.stdout + again.stderr
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_warehouse_keeps_its_landing_folder(built, tmp_path):
    landing, wh = built
    other = tmp_path / "other"
    other.mkdir()
    for cmd in ("run", "ui", "docs"):
        proc = run(cmd, "--warehouse", str(wh), "--landing", str(other), timeout=120)
        assert proc.returncode == 2, (cmd, proc.stdout, proc.stderr)
        assert f"was built from the landing folder {landing}, not {other}" in _one_line(proc)
    # without --landing every command uses the warehouse's own folder, whatever the environment's default is
    import os

    from dagster_project import warehouse_cli

    saved = dict(os.environ)
    try:
        os.environ.pop("GONGKAI_LANDING_DIR", None)
        got, _, env = warehouse_cli._prepare(None, wh)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert got == landing and env["GONGKAI_LANDING_DIR"] == str(landing)


def test_a_run_started_from_the_ui_refuses_another_landing(built, tmp_path, monkeypatch):
    from dagster_project.defs.resources import WarehouseResource
    from dagster_project.lib.warehouse.paths import LandingMismatch

    landing, wh = built
    monkeypatch.delenv("GONGKAI_SWITCH_LANDING", raising=False)
    res = WarehouseResource(landing_dir=str(tmp_path), warehouse_dir=str(wh))
    with pytest.raises(LandingMismatch, match="was built from the landing folder"):
        res.landing()
    assert WarehouseResource(landing_dir=str(landing), warehouse_dir=str(wh)).landing() == landing
