"""Checks a person understands (issue 9): every dbt test and every Great Expectations expectation says what it
checks, in words; the GX ones start with their invariant id and carry the Chinese label of what they check.
The dbt project has an overview page, exposures for the published marts, and an owner on every model."""

from __future__ import annotations

import json
import re

import pytest

from dagster_project.lib.warehouse import quality
from dagster_project.lib.warehouse.dbt_manifest import ensure_manifest, publishable_models

INVARIANT_ID = re.compile(r"^(T[234]\.H\d|X\.S\d+|GRAIN|CODES §7\.\d|SHAPE|ACCOUNTING)\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(ensure_manifest().read_text(encoding="utf-8"))


def test_every_dbt_test_has_a_description(manifest):
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(tests) >= 60
    missing = [n["name"] for n in tests if len((n.get("description") or "").strip()) < 20]
    assert missing == []
    non_negative = [n for n in tests if (n.get("test_metadata") or {}).get("name") == "non_negative_columns"]
    facts = [n for n in non_negative if ".fct_" in (n.get("attached_node") or "")]
    assert facts and all(INVARIANT_ID.match(n["description"]) for n in facts)  # T3.H5 / T4.H2 named


def test_every_expectation_names_its_invariant_and_chinese_label():
    n = 0
    for mart in quality.suite_names():
        module = quality.load_suite_module(mart)
        for part in module.PARTS:
            for e in part.expectations():
                n += 1
                text = e.description or ""
                where = f"{part.name}: {type(e).__name__} {text!r}"
                assert INVARIANT_ID.match(text), where
                assert text.startswith(e.meta["invariant"]), where
                assert CJK.search(e.meta["label"]) and e.meta["label"] in text, where
    assert n >= 60


def test_overview_exposures_and_owners(manifest):
    overview = manifest["docs"]["doc.gongkai.__overview__"]["block_contents"]
    assert "gx/index.html" in overview and "quality/index.html" in overview and "quarantine" in overview
    exposed = {dep for e in manifest["exposures"].values() for dep in e["depends_on"]["nodes"]}
    published = {m["unique_id"] for m in publishable_models()}
    assert published and published <= exposed
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert all(n["config"]["meta"].get("owner") == "team:gongkai" and n["config"]["tags"] for n in models)
