"""Synthetic annual reports: ground truth, error injection, renderers, comparison with parses.

Used by the property/fuzz tests, the accuracy report (``python -m devtools.synth.accuracy``)
and the benchmark (``python -m devtools.bench``). Pure Python: no dagster import.
"""

from devtools.synth.render import EXTENSION, FORMATS, TEXT_FORMATS, Style, render
from devtools.synth.truth import (
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
