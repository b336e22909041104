"""Synthetic annual reports: ground truth, error injection, renderers, comparison with parses.

Used by the property/fuzz tests, the accuracy report (``python -m dagster_project.lib.synth.accuracy``)
and the benchmark (``python -m dagster_project.lib.bench``). Pure Python: no dagster import.
"""

from dagster_project.lib.synth.render import EXTENSION, FORMATS, TEXT_FORMATS, Style, render
from dagster_project.lib.synth.truth import (
    InjectedError,
    Truth,
    hard_violations,
    inject_error,
    make_agency,
    make_truth,
    soft_violations,
)

__all__ = [
    "EXTENSION", "FORMATS", "TEXT_FORMATS", "InjectedError", "Style", "Truth", "hard_violations",
    "inject_error", "make_agency", "make_truth", "render", "soft_violations",
]
