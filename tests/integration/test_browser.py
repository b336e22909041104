"""What a user sees, in a real browser (Playwright driving Debian's Chromium), after one `gongkai run` of the shipped
samples (data/landing: anshan-2023.txt is the quarantined one):

* the Dagster UI names the quarantined report, its failed check and the suggested repair on the quarantine asset
  and on the `reports_held_back` check; every published mart is an asset page with its row count;
* starting the UI after the run starts no run (the sensor ticks and skips), and its log has no repeated warning;
* `gongkai docs` serves the dbt docs (overview page), the Great Expectations Data Docs (styled) and the quality
  report (charts drawn) — every request stays on 127.0.0.1 (anything else is blocked and fails the test).

Screenshots land in ``<warehouse>/screenshots/``. Skipped with a clear message only when no Chromium is installed
(`make system-deps` installs Debian's).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import GONGKAI, REPO, free_port, stop_group, wait_until

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
LOCAL = ("http://127.0.0.1:", "data:", "blob:", "about:")


def _fetch(url: str, data: bytes | None = None, timeout: float = 10) -> str:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read().decode("utf-8", errors="replace")


def _graphql(port: int, query: str) -> dict:
    return json.loads(_fetch(f"http://127.0.0.1:{port}/graphql", json.dumps({"query": query}).encode(), 30))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One warehouse of the shipped samples, the UI (sensor running, as a user starts it) and the docs site."""
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium: run `make system-deps` (Debian's chromium) for browser tests")
    root = tmp_path_factory.mktemp("browser")
    landing, wh = root / "landing", root / "warehouse"
    shutil.copytree(REPO / "data" / "landing", landing)
    env = {k: v for k, v in os.environ.items() if k != "GONGKAI_SENSOR"}  # the sensor runs, as for a user
    run = subprocess.run([str(GONGKAI), "run", "--landing", str(landing), "--warehouse", str(wh)], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    ui_port, docs_port = free_port(), free_port()
    ui_log, docs_log = open(root / "ui.log", "w+"), open(root / "docs.log", "w+")
    ui = subprocess.Popen([str(GONGKAI), "ui", "--port", str(ui_port), "--warehouse", str(wh)], cwd=REPO, env=env,
                          stdout=ui_log, stderr=subprocess.STDOUT, start_new_session=True)
    docs = subprocess.Popen([str(GONGKAI), "docs", "--port", str(docs_port), "--warehouse", str(wh)], cwd=REPO,
                            env=env, stdout=docs_log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: _graphql(ui_port, "{ assetNodes { id } }")["data"]["assetNodes"], 240, ui, "gongkai ui")
        wait_until(lambda: "dbt" in _fetch(f"http://127.0.0.1:{docs_port}/index.html"), 240, docs, "gongkai docs")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            blocked = []

            def guard(route):
                url = route.request.url
                if url.startswith(LOCAL):
                    route.continue_()
                else:
                    blocked.append(url)
                    route.abort()

            context.route("**/*", guard)
            shots = wh / "screenshots"
            shots.mkdir(exist_ok=True)
            yield {"wh": wh, "ui": ui_port, "docs": docs_port, "context": context, "blocked": blocked,
                   "shots": shots, "ui_proc": ui, "ui_log": root / "ui.log", "run": run}
            browser.close()
    finally:
        stop_group(ui)
        stop_group(docs)
        ui_log.close()
        docs_log.close()


def _watched_page(site):
    """A new page and the list of its failed requests (a missing file, a blocked host …)."""
    page = site["context"].new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: failed.append(f"{r.url} HTTP {r.status}") if r.status >= 400 else None)
    return page, failed


def _page_text(page, url: str, *needles: str, timeout_s: float = 60) -> str:
    """Open ``url`` and wait until every needle is in the page's text; returns the text."""
    page.goto(url)
    deadline = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < deadline:
        text = page.inner_text("body")
        if all(n in text for n in needles):
            return text
        page.wait_for_timeout(500)
    missing = [n for n in needles if n not in text]
    raise AssertionError(f"{url}: {missing} not found in the page:\n{text[:3000]}")


def test_dagster_ui_names_the_quarantined_report_its_checks_and_repair(site):
    page = site["context"].new_page()
    base = f"http://127.0.0.1:{site['ui']}"
    text = _page_text(page, f"{base}/assets/published/quarantine", "anshan-2023.txt", "T3.H2", "T3.H3",
                      "suggested repair: unavailable_not_held__org_business = 7")
    assert "Row count" in text
    page.wait_for_load_state("networkidle")
    page.get_by_text("Columns", exact=True).first.click()  # fold the schema: the metadata table comes into view
    page.locator("td", has_text="anshan-2023.txt").first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(site["shots"] / "ui-published-quarantine.png"))
    _page_text(page, f"{base}/assets/raw/reports?view=checks", "reports_held_back", "anshan-2023.txt", "T3.H2",
               "suggested repair")
    page.screenshot(path=str(site["shots"] / "ui-check-reports-held-back.png"))
    _page_text(page, f"{base}/assets/marts/quarantine", "anshan-2023.txt", "T3.H2")
    page.screenshot(path=str(site["shots"] / "ui-dbt-quarantine.png"))
    assert site["blocked"] == [], site["blocked"]


def test_every_published_mart_is_an_asset_page(site):
    manifest = json.loads((site["wh"] / "marts" / "_publish.json").read_text())
    marts = sorted(manifest["rows"])
    assert {"reports", "quarantine", "fct_outcomes", "dim_agency"} <= set(marts)
    page = site["context"].new_page()
    base = f"http://127.0.0.1:{site['ui']}"
    for mart in marts:
        text = _page_text(page, f"{base}/assets/published/{mart}", "Parquet", "Row count", "publish_path")
        assert f"marts/{mart}" in text
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(site["shots"] / f"ui-published-{mart}.png"))
    assert site["blocked"] == [], site["blocked"]


def test_ui_start_after_a_run_starts_no_run_and_logs_no_repeated_warning(site):
    port = site["ui"]
    q = ('{ sensorOrError(sensorSelector: {repositoryLocationName: "gongkai", repositoryName: "__repository__", '
         'sensorName: "landing_sensor"}) { ... on Sensor { sensorState { status ticks(limit: 5) { status } } } } }')

    def ticked():
        state = _graphql(port, q)["data"]["sensorOrError"]["sensorState"]
        return state if state["ticks"] else None

    state = wait_until(ticked, 120, site["ui_proc"], "the sensor's first tick")
    assert state["status"] == "RUNNING"
    assert {t["status"] for t in state["ticks"]} == {"SKIPPED"}
    runs = _graphql(port, "{ runsOrError { ... on Runs { results { runId tags { key value } } } } }")
    results = runs["data"]["runsOrError"]["results"]
    assert len(results) == 1, results  # the `gongkai run` of the fixture, nothing started by the UI
    log = site["ui_log"].read_text(errors="replace")
    assert "does not match" not in log
    assert "SupersessionWarning" not in log


def test_dbt_docs_overview_links_the_other_docs(site):
    page = site["context"].new_page()
    base = f"http://127.0.0.1:{site['docs']}"
    _page_text(page, f"{base}/#!/overview", "How to read a mart", "Where quarantine is")
    page.screenshot(path=str(site["shots"] / "docs-dbt-overview.png"))
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    assert "gx/index.html" in hrefs and "quality/index.html" in hrefs
    _page_text(page, f"{base}/#!/model/model.gongkai.quarantine", "suggested_repair")
    page.screenshot(path=str(site["shots"] / "docs-dbt-quarantine.png"))
    assert site["blocked"] == [], site["blocked"]


def test_gx_docs_are_styled_offline_and_name_run_and_asset(site):
    page, failed = _watched_page(site)
    base = f"http://127.0.0.1:{site['docs']}"
    _page_text(page, f"{base}/gx/index.html", "fct_outcomes.row_totals", "dagster-run-")
    styled = page.evaluate("""() => [...document.styleSheets].filter(s => (s.href || '').includes('bootstrap.min.css'))
                                     .map(s => s.cssRules.length)""")
    assert styled and styled[0] > 1000, styled  # Bootstrap's rules are loaded (served locally)
    assert page.evaluate("() => typeof window.jQuery === 'function' && typeof jQuery.fn.bootstrapTable === 'function'")
    page.screenshot(path=str(site["shots"] / "docs-gx-index.png"))
    assert page.locator("table tbody tr").count() >= 6  # one row per suite part, drawn by bootstrap-table
    gx = site["wh"] / "gx_docs"
    (page_file,) = gx.glob("validations/fct_outcomes/row_totals/*/*/*.html")
    assert page_file.parts[-3].startswith("dagster-run-")  # the run name, not __none__
    text = _page_text(page, f"{base}/gx/{page_file.relative_to(gx).as_posix()}", "Data asset:", "T3.H2")
    assert "Data asset: None" not in text and "fct_outcomes (frame fct_outcomes.row_totals" in text
    page.screenshot(path=str(site["shots"] / "docs-gx-validation.png"), full_page=True)
    assert site["blocked"] == [], site["blocked"]
    assert failed == [], failed


def test_quality_report_draws_its_charts_offline(site):
    page, failed = _watched_page(site)
    base = f"http://127.0.0.1:{site['docs']}"
    text = _page_text(page, f"{base}/quality/index.html", "Reports by status and year", "anshan-2023.txt",
                      "unavailable_not_held__org_business = 7", "Most violated checks")
    assert "T3.H2" in text
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    n_charts = page.locator(".js-plotly-plot").count()
    assert n_charts >= 3
    page.screenshot(path=str(site["shots"] / "quality-report.png"), full_page=True)
    page.locator("a[href^='agency/']").first.click()
    page.wait_for_selector(".js-plotly-plot .main-svg, h2", timeout=30_000)
    assert "Reports" in page.inner_text("body")
    page.screenshot(path=str(site["shots"] / "quality-agency.png"), full_page=True)
    assert site["blocked"] == [], site["blocked"]
    assert failed == [], failed
    assert len(list(site["shots"].glob("*.png"))) >= 5
