"""Test hooks (off unless their environment variable is set): the reliability tests kill a run at a chosen step.

``GONGKAI_TEST_PAUSE_AT=<step>`` makes that step write ``<warehouse>/state/paused-<step>`` (holding the PID) and
sleep, so a test can ``kill -9`` the run exactly there. Steps: ``landing_files``, ``parsed_reports``,
``report_records``, ``dbt``, ``gx``, ``publish``. (``GONGKAI_TEST_PUBLISH_PAUSE_S`` in ``publish.py`` pauses after
each mart, for a kill half-way through a publish.)
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_AT_ENV = "GONGKAI_TEST_PAUSE_AT"
PAUSE_SECONDS = 300.0


def pause_point(step: str, state_dir: Path) -> None:
    if os.environ.get(PAUSE_AT_ENV) != step:
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / f"paused-{step}").write_text(str(os.getpid()))
    time.sleep(PAUSE_SECONDS)
