"""The pure core under dagster_project/lib/ never imports Dagster (orchestration stays thin, outside)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

LIB = Path(__file__).resolve().parents[2] / "dagster_project" / "lib"


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_module_under_lib_imports_dagster():
    files = sorted(LIB.rglob("*.py"))
    assert len(files) > 10
    offenders = {str(f.relative_to(LIB)): sorted(r for r in _imported_roots(f) if r == "dagster" or r.startswith("dagster_") and r != "dagster_project")
                 for f in files}
    assert {f: r for f, r in offenders.items() if r} == {}


def test_parsing_a_report_loads_no_dagster_module():
    code = ("import sys; from dagster_project.lib.parsing import parse_bytes; "
            "r = parse_bytes('一、本年新收政府信息公开申请数量'.encode(), 'x.txt'); "
            "print(sorted(m for m in sys.modules if m == 'dagster' or m.startswith('dagster.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_runtime_package_never_imports_the_dev_tools():
    """Generators, benchmarks and the KPI oracle (devtools/) stay out of the runtime package (issue 10)."""
    pkg = LIB.parent
    offenders = {str(f.relative_to(pkg)) for f in pkg.rglob("*.py") if "devtools" in _imported_roots(f)}
    assert offenders == set()
    assert not (LIB / "synth").exists() and not (LIB / "bench.py").exists() and not (LIB / "kpi.py").exists()
