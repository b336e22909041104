"""Shared test fixtures: where the real reports live (../shared, never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GONGKAI_SHARED_DIR", REPO.parent / "shared"))
REAL_REPORTS = SHARED / "real-reports"

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def real_report_files() -> list[tuple[str, Path]]:
    """(case id, file) for every page.* of every real report in ../shared (empty when absent)."""
    if not REAL_REPORTS.is_dir():
        return []
    out = []
    for d in sorted(REAL_REPORTS.iterdir()):
        if (d / "expected.json").is_file():
            for f in sorted(d.glob("page.*")):
                out.append((f"{d.name}/{f.name}", f))
    return out


@pytest.fixture
def real_reports_dir() -> Path:
    if not REAL_REPORTS.is_dir():
        pytest.skip("../shared/real-reports is not present")
    return REAL_REPORTS
