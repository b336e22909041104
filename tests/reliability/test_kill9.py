"""kill -9 at every stage of a run (issue 7): the marts stay one consistent publish, the next run recovers, and
its result equals an uninterrupted run's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    assert_one_consistent_publish,
    copy_landing,
    kill_tree,
    run,
    snapshot,
    start,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def reference(base_landing, extra_files, tmp_path_factory) -> list:
    """The marts of an uninterrupted run on the final landing folder (base + extra files)."""
    root = tmp_path_factory.mktemp("reference")
    landing = copy_landing(base_landing, root / "landing", extra_files)
    done = run("run", "--landing", str(landing), "--warehouse", str(root / "wh"))
    assert done.returncode == 0, done.stdout + done.stderr
    return snapshot(root / "wh")


def _dbt_running(pid: int) -> bool:
    """A `dbt build` process among the descendants of ``pid``."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            sid = os.getsid(int(proc.name))
        except (OSError, ProcessLookupError):
            continue
        if sid == pid and b"dbt" in cmd and b" build" in cmd:
            return True
    return False


@pytest.mark.parametrize("stage", ["parse", "records", "dbt", "gx", "publish"])
def test_kill_9_then_rerun(stage, base_landing, extra_files, reference, tmp_path):
    landing = copy_landing(base_landing, tmp_path / "landing")
    wh = tmp_path / "wh"
    first = run("run", "--landing", str(landing), "--warehouse", str(wh))
    assert first.returncode == 0, first.stdout + first.stderr
    before = assert_one_consistent_publish(wh)
    for p in extra_files.iterdir():  # new content for the run that is killed
        (landing / f"extra-{p.name}").write_bytes(p.read_bytes())

    hooks = {"parse": {"GONGKAI_TEST_PAUSE_AT": "parsed_reports"},
             "records": {"GONGKAI_TEST_PAUSE_AT": "report_records"},
             "dbt": {},
             "gx": {"GONGKAI_TEST_PAUSE_AT": "gx"},
             "publish": {"GONGKAI_TEST_PUBLISH_PAUSE_S": "30"}}[stage]
    proc = start("run", "--landing", str(landing), "--warehouse", str(wh), **hooks)
    if stage == "dbt":
        reached = wait_for(lambda: _dbt_running(proc.pid))
    elif stage == "publish":  # two marts of the new publish written, the rest not yet
        reached = wait_for(lambda: any(len([m for m in t.iterdir() if m.is_dir()]) >= 2
                                       for t in (wh / "_publishes").glob(".tmp-*")))
    else:
        step = hooks["GONGKAI_TEST_PAUSE_AT"]
        reached = wait_for(lambda: (wh / "state" / f"paused-{step}").exists())
    assert reached, f"the run never reached {stage}: {proc.poll()}"
    (wh / "state" / f"paused-{hooks.get('GONGKAI_TEST_PAUSE_AT', '')}").unlink(missing_ok=True)
    kill_tree(proc)

    # the marts are still the last complete publish, whole
    after_kill = assert_one_consistent_publish(wh)
    assert after_kill["publish_id"] == before["publish_id"]

    rerun = run("run", "--landing", str(landing), "--warehouse", str(wh))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "marked failed: run" in rerun.stdout  # the killed run does not stay STARTED
    assert not list((wh / "_publishes").glob(".tmp-*"))  # what the killed publish wrote is gone
    assert_one_consistent_publish(wh)
    assert snapshot(wh) == reference
