"""The quality and KPI report: static HTML pages with charts, built from the published marts on every run.

``build(marts_dir, out_dir)`` reads one publish (``<warehouse>/marts``, plain parquet through an in-memory DuckDB)
and writes ``out_dir/index.html`` — reports by status and year, the most violated checks, the quarantine list with
the suggested repairs, the unreadable files, grant / not-held / correction rates by region and year — and one page
per agency (``out_dir/agency/<agency_id>.html``). Charts are Plotly; its JavaScript is written once beside the pages
(``plotly.min.js``, loaded by a relative ``<script src>``), so the report opens offline, from disk or served by
``gongkai docs``, without any network request. No dagster import (``defs/`` only wires it).
"""

from __future__ import annotations

import html
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from dagster_project.lib.warehouse.publish import MANIFEST, read_mart_sql

PLOTLY_JS = "plotly.min.js"
MAX_AGENCY_PAGES = 1000  # the agencies with the most reports get a page; the index says how many were left out
STATUS_COLORS = {"published": "#2e7d32", "quarantined": "#c62828", "unreadable": "#6d4c41", "duplicate": "#9e9e9e"}
RATES = (("grant_rate", "grant rate 予以公开"), ("not_held_rate", "not-held rate 本机关不掌握"),
         ("review_correction_rate", "review correction rate 复议纠错率"),
         ("litigation_correction_rate", "litigation correction rate 诉讼纠错率"))

CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans",system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#263238;color:#fff;padding:14px 28px} header a{color:#b3e5fc}
main{padding:8px 28px 40px;max-width:1200px} h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;background:#fff} th,td{border:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top} th{background:#eceff1} .num{text-align:right} .muted{color:#666;font-size:13px}
.chart{background:#fff;border:1px solid #ddd;margin:8px 0} .status-quarantined{color:#c62828;font-weight:600}
.status-unreadable{color:#6d4c41;font-weight:600} .kpis span{display:inline-block;margin-right:24px}
"""


@dataclass
class Built:
    index: Path
    n_agency_pages: int
    n_agencies: int
    counts: dict[str, int]
    n_files_written: int = 0  # pages (and script) written anew; the others were the previous report's, unchanged


def _esc(v, pct: bool = False) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.1%}" if pct else (f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}")
    if isinstance(v, (list, tuple)):
        return html.escape(", ".join(str(x) for x in v))
    return html.escape(str(v))


def _table(header: list[str], rows: list, num: set[int] = frozenset(), raw: set[int] = frozenset(),
           pct: set[int] = frozenset()) -> str:
    out = ["<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead><tbody>"]
    for r in rows:
        cells = []
        for i, c in enumerate(r):
            text = c if i in raw else _esc(c, i in pct)
            cells.append(f'<td class="num">{text}</td>' if i in num else f"<td>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _chart(fig, div_id: str) -> str:
    import plotly.io as pio

    fig.update_layout(margin={"l": 60, "r": 20, "t": 50, "b": 50}, template="plotly_white",
                      font={"family": "Noto Sans CJK SC, Noto Sans, sans-serif"})
    return '<div class="chart">' + pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                                               config={"displaylogo": False, "responsive": True}) + "</div>"


def _plain_chart(div_id: str, traces: list[dict], layout: dict) -> str:
    """A Plotly chart from a plain JSON spec (no figure validation: the agency pages are many, ~1 ms each)."""
    layout = {"margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "template": {"layout": {"plot_bgcolor": "#fff"}},
              "font": {"family": "Noto Sans CJK SC, Noto Sans, sans-serif"}, **layout}
    spec = json.dumps(traces, ensure_ascii=False, default=str).replace("</", "<\\/")
    lay = json.dumps(layout, ensure_ascii=False, default=str).replace("</", "<\\/")
    return (f'<div class="chart"><div id="{div_id}" class="plotly-graph-div" style="height:{layout.get("height", 360)}px">'
            f'</div><script>Plotly.newPlot("{div_id}", {spec}, {lay}, {{"displaylogo": false, "responsive": true}});'
            "</script></div>")


def _page(title: str, body: str, js_prefix: str, nav: str = "") -> str:
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style>'
            f'<script src="{js_prefix}{PLOTLY_JS}"></script></head><body><header><b>gongkai</b> · '
            f'{html.escape(title)} {nav}</header><main>{body}</main></body></html>')


class _Marts:
    """The marts of one publish, read as the contract says (plain parquet, hive partitions)."""

    def __init__(self, marts_dir: Path):
        import duckdb

        self.dir = marts_dir
        self.con = duckdb.connect()
        self.loaded: set[str] = set()

    def has(self, name: str) -> bool:
        return (self.dir / name).is_dir()

    def rel(self, name: str) -> str:
        """The mart as an in-memory table, read once from its parquet files (the agency pages query it many
        times)."""
        if name not in self.loaded:
            self.con.execute(f'create table "m_{name}" as select * from {read_mart_sql(self.dir, name)}')
            self.loaded.add(name)
        return f'"m_{name}"'

    def rows(self, sql: str, *params) -> list[tuple]:
        return self.con.execute(sql, list(params)).fetchall()

    def close(self) -> None:
        self.con.close()


def build(marts_dir: Path, out_dir: Path, docs_links: dict[str, str] | None = None,
          max_agency_pages: int = MAX_AGENCY_PAGES) -> Built:
    """Write the report of the publish ``marts_dir`` into ``out_dir`` (replaced as a whole: built in a sibling
    folder, then renamed over it, so a reader never sees half a report)."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    marts_dir = Path(os.path.realpath(marts_dir))
    tmp = out_dir.parent / f".{out_dir.name}-{uuid.uuid4().hex[:8]}"
    (tmp / "agency").mkdir(parents=True)
    files = _Files(tmp, out_dir)
    m = _Marts(marts_dir)
    try:
        files.write(PLOTLY_JS, get_plotlyjs())
        try:
            pub = json.loads((marts_dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pub = {}
        R = m.rel("reports")
        counts = {s: int(n) for s, n in m.rows(f"select status, count(*) from {R} group by status")}
        parts = []
        total = sum(counts.values())
        parts.append(
            f'<p class="muted">Publish <b>{_esc(pub.get("publish_id"))}</b> of {_esc(pub.get("published_at"))} '
            f'(Dagster run {_esc((pub.get("run_id") or "")[:8])}). Built from the published parquet marts '
            f'<code>{_esc(marts_dir)}</code>.</p>'
            '<p class="kpis">' + f"<span><b>{total:,}</b> report files</span>"
            + "".join(f'<span class="status-{s}"><b>{counts.get(s, 0):,}</b> {s}</span>' for s in STATUS_COLORS)
            + "</p>")
        if docs_links:
            parts.append("<p>" + " · ".join(f'<a href="{html.escape(u)}">{html.escape(k)}</a>'
                                            for k, u in docs_links.items()) + "</p>")

        # reports by status and year
        by_year = m.rows(f"select coalesce(cast(report_year as varchar), 'no year') as y, status, count(*) "
                         f"from {R} group by all order by y")
        years = sorted({y for y, _, _ in by_year})
        fig = go.Figure()
        for s, color in STATUS_COLORS.items():
            vals = {y: n for y, st, n in by_year if st == s}
            fig.add_bar(name=s, x=years, y=[vals.get(y, 0) for y in years], marker_color=color)
        fig.update_layout(barmode="stack", title="Reports by status and year", xaxis_title="report year",
                          yaxis_title="reports", xaxis_type="category", height=360)
        parts.append("<h2>Reports by status and year</h2>" + _chart(fig, "reports-by-status"))

        # most violated checks
        if m.has("check_results"):
            C = m.rel("check_results")
            top = m.rows(f"select check_id, severity, count(*) as n, count(distinct report_id) as r from {C} "
                         "group by all order by n desc, check_id limit 25")
            fig = go.Figure()
            for sev, color in (("error", "#c62828"), ("warn", "#f9a825")):
                sel = [t for t in top if t[1] == sev]
                fig.add_bar(name=sev, y=[t[0] for t in sel], x=[t[2] for t in sel], orientation="h",
                            marker_color=color)
            fig.update_layout(title="Most violated checks (rows of check_results)", barmode="stack",
                              yaxis={"categoryorder": "total ascending"}, height=max(300, 26 * len(top) + 120),
                              xaxis_title="violations")
            parts.append("<h2>Most violated checks</h2>" + _chart(fig, "top-checks")
                         + _table(["check", "severity", "violations", "reports"], top, num={2, 3}))

        # quarantine with repairs, unreadable files
        if m.has("quarantine"):
            q = m.rows(f"select source_path, agency_name, report_year, failed_checks, failed_checks_detail, "
                       f"suggested_repair from {m.rel('quarantine')} order by source_path")
            parts.append(f"<h2>Quarantined reports ({len(q):,})</h2><p class='muted'>Held back because they break "
                         "a hard invariant; never repaired silently. Accept a suggested repair in "
                         "<code>data/corrections.yaml</code> (README: Accepting a suggested repair).</p>"
                         + (_table(["file", "agency", "year", "failed checks", "detail", "suggested repair"], q)
                            if q else "<p>None.</p>"))
        u = m.rows(f"select source_path, parse_status, error from {R} where status = 'unreadable' "
                   "order by source_path limit 500")
        parts.append(f"<h2>Unreadable files ({counts.get('unreadable', 0):,})</h2>"
                     + (_table(["file", "parse status", "reason"], u) if u else "<p>None.</p>"))

        # rates by region and year
        names = {}
        if m.has("dim_agency"):
            for code, prov, city, county in m.rows(
                    f"select region_code, any_value(province), any_value(city), any_value(county) "
                    f"from {m.rel('dim_agency')} where region_code is not null group by region_code"):
                names[code] = "".join(x for x in (prov, city, county) if x and x not in ("", None)) or code
        if m.has("mart_region_year_kpi"):
            K = m.rel("mart_region_year_kpi")
            cols = ", ".join(c for c, _ in RATES)
            kr = m.rows(f"select region_code, admin_level, report_year, n_reports, {cols} from {K} "
                        "where report_year is not null order by region_code, admin_level, report_year")
            from plotly.subplots import make_subplots

            fig = make_subplots(rows=len(RATES), cols=1, shared_xaxes=True,
                                subplot_titles=[label for _, label in RATES], vertical_spacing=0.06)
            series: dict[tuple, list] = {}
            for row in kr:
                series.setdefault((row[0], row[1]), []).append(row)
            for i, (key, rows) in enumerate(sorted(series.items(), key=lambda kv: str(kv[0]))[:30]):
                label = f"{names.get(key[0], key[0] or 'region unknown')} ({key[0] or '-'}, {key[1] or '-'})"
                for j, _ in enumerate(RATES):
                    fig.add_scatter(x=[str(r[2]) for r in rows], y=[r[4 + j] for r in rows], mode="lines+markers",
                                    name=label, legendgroup=label, showlegend=(j == 0), row=j + 1, col=1)
            fig.update_yaxes(tickformat=".0%")
            fig.update_xaxes(type="category", categoryorder="category ascending")
            fig.update_layout(title="Rates by region and year (published reports; ratios of sums)",
                              height=260 * len(RATES))
            parts.append("<h2>Grant, not-held and correction rates by region and year</h2>" + _chart(fig, "rates")
                         + _table(["region", "level", "year", "reports"] + [label for _, label in RATES],
                                  [[f"{names.get(r[0], r[0] or 'region unknown')} ({r[0] or '-'})", *r[1:]] for r in kr[:300]],
                                  num={3, 4, 5, 6, 7}, pct={4, 5, 6, 7}))

        # agencies
        n_pages, n_agencies = 0, 0
        if m.has("dim_agency"):
            A = m.rel("dim_agency")
            agencies = m.rows(f"select agency_id, agency_name, admin_level, province, city, county, n_reports "
                              f"from {A} order by n_reports desc nulls last, agency_id")
            n_agencies = len(agencies)
            paged = agencies[:max_agency_pages]
            data = _agency_data(m, [a[0] for a in paged])
            for a in paged:
                _agency_page(files, a, data)
            n_pages = len(paged)
            rows = [[f'<a href="agency/{html.escape(_slug(a[0]))}.html">{html.escape(a[1] or a[0])}</a>', *a[2:]]
                    for a in paged]
            parts.append(f"<h2>Agencies ({n_agencies:,})</h2>"
                         + (f"<p class='muted'>Pages for the {n_pages:,} agencies with the most reports.</p>"
                            if n_pages < n_agencies else "")
                         + _table(["agency", "level", "province", "city", "county", "reports"], rows,
                                  num={5}, raw={0}))
        files.write("index.html", _page("quality and KPI report", "".join(parts), ""))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        m.close()
    _replace_dir(tmp, out_dir)
    return Built(out_dir / "index.html", n_pages, n_agencies, counts, files.n_written)


def _slug(agency_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(agency_id))


def _agency_data(m: _Marts, ids: list[str]) -> dict[str, dict[str, list]]:
    """Reports, KPIs by year and failed checks of the paged agencies, in three grouped queries (not three per page)."""
    from collections import defaultdict

    m.con.execute("create or replace temp table paged(agency_id varchar)")
    m.con.executemany("insert into paged values (?)", [(i,) for i in ids])
    out: dict[str, dict[str, list]] = defaultdict(lambda: {"reports": [], "kpi": [], "checks": []})
    R = m.rel("reports")
    for row in m.rows(f"select agency_id, source_path, report_year, status, n_errors, n_warnings, template_version, "
                      f"report_id from {R} join paged using (agency_id) order by report_year, source_path"):
        out[row[0]]["reports"].append(row[1:])
    if m.has("mart_agency_year_kpi"):
        cols = ", ".join(c for c, _ in RATES)
        for row in m.rows(f"select agency_id, report_year, n_reports, caseload, decisions, {cols} from "
                          f"{m.rel('mart_agency_year_kpi')} join paged using (agency_id) order by report_year"):
            out[row[0]]["kpi"].append(row[1:])
    if m.has("check_results"):
        for row in m.rows(f"""select agency_id, report_year, check_id, severity, message from (
                select r.agency_id, c.report_year, c.check_id, c.severity, c.message,
                       row_number() over (partition by r.agency_id order by c.report_year, c.report_id, c.check_seq) n
                from {m.rel('check_results')} c join {R} r using (report_id) join paged p on p.agency_id = r.agency_id
            ) where n <= 200 order by agency_id, n"""):
            out[row[0]]["checks"].append(row[1:])
    return out


class _Files:
    """Writes the pages of the new report folder. A page whose bytes equal the previous report's is hard-linked from
    it instead: a run that adds a few reports changes a few agency pages, and on these disks writing a page costs
    twenty times more than reading and comparing it (1,000 pages: 0.33 s against 0.02 s)."""

    def __init__(self, folder: Path, previous: Path):
        self.folder, self.previous = folder, previous
        self.n_written = 0

    def write(self, rel: str, text: str) -> None:
        data = text.encode("utf-8")
        target, before = self.folder / rel, self.previous / rel
        try:
            if before.stat().st_size == len(data) and before.read_bytes() == data:
                os.link(before, target)
                return
        except OSError:
            pass  # no previous page (or no hard links here): write it
        target.write_bytes(data)
        self.n_written += 1


def _agency_page(files: _Files, a: tuple, data: dict[str, dict[str, list]]) -> None:
    agency_id, name = a[0], a[1] or a[0]
    d = data[agency_id]
    parts = [f"<p class='muted'>agency_id <code>{_esc(agency_id)}</code> · {_esc(a[2])} · "
             f"{_esc(''.join(x for x in a[3:6] if x))}</p>"]
    parts.append("<h2>Reports</h2>" + _table(["file", "year", "status", "errors", "warnings", "template",
                                              "report_id"], d["reports"], num={3, 4}))
    k = d["kpi"]
    if k:
        traces = [{"type": "scatter", "mode": "lines+markers", "name": label, "x": [str(r[0]) for r in k],
                   "y": [r[4 + j] for r in k]} for j, (_, label) in enumerate(RATES)]
        chart = _plain_chart("agency-rates", traces, {
            "title": {"text": f"{name}: rates by year"}, "height": 360, "yaxis": {"tickformat": ".0%"},
            "xaxis": {"type": "category", "title": {"text": "report year"}}})
        parts.append("<h2>KPIs by year</h2>" + chart
                     + _table(["year", "reports", "caseload", "decisions"] + [label for _, label in RATES],
                              k, num=set(range(1, 8)), pct={4, 5, 6, 7}))
    ch = d["checks"]
    parts.append("<h2>Checks that did not pass</h2>"
                 + (_table(["year", "check", "severity", "message"], ch) if ch else "<p>None.</p>"))
    files.write(f"agency/{_slug(agency_id)}.html",
                _page(name, "".join(parts), "../", nav='· <a href="../index.html">all agencies</a>'))


def _replace_dir(new: Path, target: Path) -> None:
    """Put ``new`` in place of ``target`` (two renames; the old one is removed afterwards)."""
    old = None
    if target.exists():
        old = target.parent / f".{target.name}-old-{uuid.uuid4().hex[:8]}"
        os.rename(target, old)
    os.rename(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
