"""End to end: `gongkai run` on generated reports; assertions on the published marts' rows."""

from __future__ import annotations

import json

import duckdb
import pytest

from dagster_project.lib.parsing import template as T

from .conftest import Built, run_gongkai

pytestmark = pytest.mark.integration

MARTS = ("reports", "fct_applications", "fct_outcomes", "fct_appeals", "fct_proactive_disclosure",
         "check_results", "quarantine")


def q(b: Built, sql: str) -> list[tuple]:
    con = duckdb.connect()
    for m in MARTS:
        con.execute(f"create view {m} as select * from read_parquet('{b.warehouse}/marts/{m}/**/*.parquet', "
                    "hive_partitioning=true)")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def snapshot(b: Built) -> dict[str, list[tuple]]:
    return {m: q(b, f"select * from {m} order by all") for m in MARTS}


def test_every_file_is_accounted_for(built):
    files = sorted(p.name for p in built.landing.iterdir())
    rows = q(built, "select source_path, status from reports order by source_path")
    assert [r[0] for r in rows] == files
    status = dict(rows)
    kinds = {f.path: f.kind for f in built.corpus}
    for path, kind in kinds.items():
        expected = {"clean": {"published"}, "broken": {"quarantined"}, "unreadable": {"unreadable"},
                    "duplicate_copy": {"duplicate"}, "duplicate_rerender": {"duplicate", "published",
                                                                           "quarantined"}}[kind]
        assert status[path] in expected, (path, kind, status[path])
    assert status["anshan-2023.txt"] == "quarantined"
    assert "reports:" in built.first.stdout and "marts:" in built.first.stdout


def test_report_ids_are_stable_and_content_derived(built):
    import hashlib

    rows = q(built, "select source_path, report_id, canonical_report_id, status, duplicate_reason from reports")
    ids = [r[1] for r in rows]
    assert len(ids) == len(set(ids))
    by_path = {r[0]: r for r in rows}
    for f in built.corpus:
        sha = hashlib.sha256((built.landing / f.path).read_bytes()).hexdigest()
        assert by_path[f.path][1].startswith(sha[:16])
        if f.kind == "duplicate_copy":
            assert by_path[f.path][3] == "duplicate" and by_path[f.path][4] == "identical_content"
            # it points at the copy that stands for the content
            assert by_path[f.path][2] == by_path[f.duplicate_of][2]
    # exactly one canonical copy per agency and year among parsed reports
    dup = q(built, "select agency_name, report_year, count(*) from reports where status in ('published', "
                   "'quarantined') group by all having count(*) > 1")
    assert dup == []


def test_unreadable_files_say_why(built):
    rows = q(built, "select source_path, error, report_year from reports where status = 'unreadable'")
    unreadable = {f.path for f in built.corpus if f.kind == "unreadable"}
    assert {r[0] for r in rows} == unreadable
    assert all(r[1] for r in rows) and all(r[2] is None for r in rows)


def test_anshan_quarantined_with_both_violations_and_repair(built):
    rows = q(built, "select r.report_id, r.agency_name, r.report_year, r.n_errors, q.failed_checks, "
                    "q.suggested_repair, q.suggested_repair_json from reports r join quarantine q using (report_id) "
                    "where r.source_path = 'anshan-2023.txt'")
    assert len(rows) == 1
    rid, agency, year, n_errors, failed, repair, repair_json = rows[0]
    assert (agency, year, n_errors) == ("鞍山市人民政府办公室", 2023, 2)
    assert sorted(failed) == ["T3.H2", "T3.H3"]
    assert repair.startswith("unavailable_not_held__org_business = 7")
    assert json.loads(repair_json)["cells"] == {"unavailable_not_held__org_business": 7}
    checks = q(built, f"select check_id, severity, cells, expected, actual from check_results "
                      f"where report_id = '{rid}' and severity = 'error' order by check_id")
    assert checks == [("T3.H2", "error", ["unavailable_not_held__total"], 118.0, 125.0),
                      ("T3.H3", "error", ["outcome_total__org_business"], 0.0, 7.0)]
    for fact in ("fct_applications", "fct_outcomes", "fct_appeals", "fct_proactive_disclosure"):
        assert q(built, f"select count(*) from {fact} where report_id = '{rid}'") == [(0,)]


def test_broken_reports_quarantined_with_the_injected_check(built):
    status = dict(q(built, "select source_path, report_id from reports where status = 'quarantined'"))
    failed = dict(q(built, "select report_id, failed_checks from quarantine"))
    for f in built.corpus:
        if f.kind == "broken":
            assert f.path in status
            expected = {c for c, _ in f.injected.checks}
            assert expected <= set(failed[status[f.path]]), (f.path, expected, failed[status[f.path]])


def test_fact_marts_hold_published_reports_only(built):
    published = {r[0] for r in q(built, "select report_id from reports where status = 'published'")}
    assert published
    for fact in ("fct_applications", "fct_outcomes", "fct_appeals", "fct_proactive_disclosure"):
        ids = {r[0] for r in q(built, f"select distinct report_id from {fact}")}
        assert ids <= published, fact
    assert {r[0] for r in q(built, "select distinct report_id from fct_applications")} == published


def test_published_values_match_the_generated_truth(built):
    by_path = dict(q(built, "select source_path, report_id from reports where status = 'published'"))
    for f in built.corpus:
        if f.kind != "clean" or f.path not in by_path:
            continue
        rid = by_path[f.path]
        got = {f"{r}__{c}": v for r, c, v in q(built, f"""
            select 'received_new', applicant_type, received_new from fct_applications where report_id = '{rid}'
            union all select 'carried_out', applicant_type, carried_out from fct_applications where report_id = '{rid}'
            union all select outcome_code, applicant_type, count from fct_outcomes where report_id = '{rid}'""")}
        truth = f.truth.t3
        for key, value in got.items():
            assert truth[key] == value, (f.path, key)
        t4 = {f"{p}__{r}": v for p, r, v in q(built, f"select proceeding, result, count from fct_appeals "
                                                      f"where report_id = '{rid}'")}
        assert t4 == {k: v for k, v in f.truth.t4.items()}


def test_published_facts_satisfy_every_hard_invariant(built):
    assert q(built, """select count(*) from fct_applications
                       where received_new + carried_in <> outcome_total + carried_out""") == [(0,)]  # T3.H1
    assert q(built, """select count(*) from (select report_id, outcome_code,
                          sum(count) filter (where applicant_type <> 'total') s,
                          max(count) filter (where applicant_type = 'total') t
                       from fct_outcomes group by all) where s <> t""") == [(0,)]  # T3.H2
    assert q(built, """select count(*) from (select report_id, applicant_type, sum(count) s from fct_outcomes
                       group by all) o join fct_applications a using (report_id, applicant_type)
                       where o.s <> a.outcome_total""") == [(0,)]  # T3.H3
    assert q(built, """select count(*) from (select report_id, proceeding,
                          sum(count) filter (where result <> 'total') s, max(count) filter (where result = 'total') t
                       from fct_appeals group by all) where s <> t""") == [(0,)]  # T4.H1
    assert q(built, "select count(*) from fct_outcomes where count < 0") == [(0,)]
    leaves = q(built, "select template_version, count(distinct outcome_code) from fct_outcomes group by 1")
    assert all(n == len(T.LEAVES[v]) for v, n in leaves)


def test_marts_are_hive_partitioned_by_year(built):
    for m in MARTS:
        parts = {p.name for p in (built.warehouse / "marts" / m).iterdir()}
        assert all(p.startswith("report_year=") for p in parts) or (
            len(parts) == 1 and next(iter(parts)).startswith("part_")), (m, parts)
    years = q(built, "select distinct report_year from reports where status = 'unreadable'")
    assert years == [(None,)]
    assert (built.warehouse / "marts" / "reports" / "report_year=__HIVE_DEFAULT_PARTITION__").is_dir()
    assert (built.warehouse / "gx_docs" / "index.html").exists()
    import yaml

    instance = yaml.safe_load((built.warehouse / "dagster_home" / "dagster.yaml").read_text())
    assert instance["telemetry"] == {"enabled": False} and instance["nux"] == {"enabled": False}


def test_second_run_changes_nothing_and_parses_nothing(built):
    before = snapshot(built)
    second = run_gongkai("run", "--landing", str(built.landing), "--warehouse", str(built.warehouse))
    assert second.returncode == 0, second.stdout + second.stderr
    built.second = second
    n = len(list(built.landing.iterdir()))
    assert f"ingest: {n} files, 0 read, 0 parsed" in second.stdout
    assert snapshot(built) == before
    # and both runs are in the persistent Dagster instance that `gongkai ui` shows
    from dagster import DagsterInstance, instance_for_test  # noqa: F401

    import os

    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(built.warehouse / "dagster_home")
    try:
        with DagsterInstance.get() as inst:
            assert len(inst.get_runs()) >= 2
    finally:
        if old is None:
            os.environ.pop("DAGSTER_HOME")
        else:
            os.environ["DAGSTER_HOME"] = old


def test_failing_suite_blocks_publish(tmp_path):
    """A GX suite that fails stops the publish asset: exit code 1 and the marts are not written."""
    import shutil

    from dagster_project.lib.warehouse.paths import PROJECT_ROOT

    suites = tmp_path / "expectations"
    shutil.copytree(PROJECT_ROOT / "expectations", suites)
    text = (suites / "reports.py").read_text()
    marker = 'gxe.ExpectColumnValuesToBeUnique(column="report_id", meta=meta("GRAIN report_id is a key", "报告编号 (内容哈希)")),'
    assert marker in text
    (suites / "reports.py").write_text(text.replace(
        marker, marker + ' gxe.ExpectTableRowCountToEqual(value=-1, meta=meta("TEST always fails", "测试")),'))
    landing = tmp_path / "landing"
    shutil.copytree(PROJECT_ROOT / "data" / "landing", landing)
    out = run_gongkai("run", "--landing", str(landing), "--warehouse", str(tmp_path / "wh"),
                      env={"GONGKAI_EXPECTATIONS_DIR": str(suites)})
    assert out.returncode == 1, out.stdout + out.stderr
    assert "gx_reports" in out.stderr and "publish__marts" in out.stderr
    assert not (tmp_path / "wh" / "marts" / "reports").exists()
