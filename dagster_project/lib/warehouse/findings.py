"""What a person looking at a run must see: the reports that were held back, and why.

Plain functions over a DuckDB connection (no dagster import): the quarantined and unreadable reports of the
records (``raw.reports`` / ``raw.checks`` or the marts of the same shape), each with its failed checks, their
messages and the suggested repair; Markdown tables of them and previews of any relation, for the metadata the
Dagster UI shows (``defs/``), and the schema of a relation as (column, type) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROBLEM_STATUSES = ("quarantined", "unreadable")
MAX_ROWS_MD = 50  # rows of a Markdown table in the UI; the rest are counted, not shown
MAX_FETCH = 200  # held-back reports fetched for the UI: a national year holds tens of thousands (counted, not listed)


@dataclass
class Problem:
    """A report that was not published because of its content: quarantined (a hard check fails) or unreadable."""

    source_path: str
    status: str
    report_id: str
    agency_name: str | None
    report_year: int | None
    failed_checks: list[str] = field(default_factory=list)  # check ids of the error rows, in order
    messages: list[str] = field(default_factory=list)  # the message of each error row (it names its check)
    suggested_repair: str | None = None
    error: str | None = None  # why an unreadable file could not be read

    def as_dict(self) -> dict:
        return {"source_path": self.source_path, "status": self.status, "report_id": self.report_id,
                "agency_name": self.agency_name, "report_year": self.report_year,
                "failed_checks": self.failed_checks, "messages": self.messages,
                "suggested_repair": self.suggested_repair, "error": self.error}


def problem_reports(con, reports: str = "raw.reports", checks: str = "raw.checks",
                    limit: int | None = MAX_FETCH) -> list[Problem]:
    """Quarantined and unreadable reports with their error checks (quarantined first, then by path), the first
    ``limit`` of them (``None``: all); ``status_counts`` counts them all."""
    sql = f"""
        select r.source_path, r.status, r.report_id, r.agency_name, r.report_year, r.suggested_repair, r.error,
               coalesce(list(c.check_id order by c.check_seq) filter (where c.check_id is not null), []) as ids,
               coalesce(list(coalesce(c.message, c.check_id) order by c.check_seq)
                        filter (where c.check_id is not null), []) as msgs
        from {reports} as r
        left join {checks} as c on c.report_id = r.report_id and c.severity = 'error'
        where r.status in ('quarantined', 'unreadable')
        group by all
        order by r.status, r.source_path
    """ + (f" limit {int(limit)}" if limit else "")
    out = []
    for path, status, rid, agency, year, repair, error, ids, msgs in con.execute(sql).fetchall():
        out.append(Problem(path, status, rid, agency, year, list(dict.fromkeys(ids)), list(msgs), repair, error))
    return out


def status_counts(con, reports: str = "raw.reports") -> dict[str, int]:
    return {s: int(n) for s, n in con.execute(f"select status, count(*) from {reports} group by status order by 1")
            .fetchall()}


def cross_report_totals(con, reports: str = "raw.reports", checks: str = "raw.checks") -> tuple[dict[str, int], int]:
    """Cross-report warnings by check_id, and the ambiguous parts settled by a neighbouring year, over the warehouse."""
    warnings = {c: int(n) for c, n in con.execute(
        f"select check_id, count(*) from {checks} where check_origin = 'cross_report' group by 1 order by 1").fetchall()}
    resolved = con.execute(f"select coalesce(sum(n_resolved_parts), 0) from {reports}").fetchone()[0]
    return warnings, int(resolved)


def _cell(value) -> str:
    """A value as one Markdown table cell (pipes escaped, newlines folded)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table(header: list[str], rows: list[list], max_rows: int = MAX_ROWS_MD, total: int | None = None) -> str:
    """Rows as a Markdown table, the first ``max_rows`` of them; ``total`` rows exist when more were not fetched."""
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + " --- |" * len(header)]
    for r in rows[:max_rows]:
        lines.append("| " + " | ".join(_cell(c) for c in r) + " |")
    total = max(len(rows), total or 0)
    if total > max_rows:
        lines.append(f"\n… and {total - min(len(rows), max_rows):,} more rows")
    return "\n".join(lines)


def held_back_count(counts: dict[str, int]) -> int:
    """Quarantined plus unreadable reports."""
    return sum(counts.get(s, 0) for s in PROBLEM_STATUSES)


def problems_markdown(problems: list[Problem], counts: dict[str, int] | None = None) -> str:
    """The held-back reports as Markdown: counts per status, then one row per report."""
    head = ""
    if counts is not None:
        total = sum(counts.values())
        head = (f"**{total:,} reports**: " + ", ".join(f"{counts.get(s, 0):,} {s}" for s in
                                                      ("published", "quarantined", "unreadable", "duplicate"))
                + "\n\n")
    if not problems:
        return head + "No report was quarantined or unreadable."
    rows = [[p.source_path, p.status, p.agency_name, p.report_year, ", ".join(p.failed_checks),
             "; ".join(p.messages) or p.error, p.suggested_repair] for p in problems]
    return head + markdown_table(["file", "status", "agency", "year", "failed checks", "message",
                                  "suggested repair"], rows, total=held_back_count(counts) if counts else None)


def quarantine_summary(con, reports: str = "marts.reports", checks: str = "marts.check_results") -> tuple[str, dict]:
    """What the quarantine mart's materializations show: the held-back reports as Markdown (counts per status, the
    first rows) and one plain line per quarantined report (the rest counted)."""
    problems = problem_reports(con, reports, checks)
    counts = status_counts(con, reports)
    quarantined = [p for p in problems if p.status == "quarantined"]
    return problems_markdown(problems, counts), problem_entries(quarantined, total=counts.get("quarantined", 0))


def problem_entries(problems: list[Problem], limit: int = 20, total: int | None = None) -> dict[str, str]:
    """One plain-text line per held-back report, keyed by its file (shown as is in the UI's metadata table, where
    Markdown needs a click): "quarantined: T3.H2, T3.H3 — suggested repair: …"."""
    out = {}
    for p in problems[:limit]:
        why = ", ".join(p.failed_checks) or p.error or "no reason recorded"
        out[p.source_path] = f"{p.status}: {why}" + (f" — suggested repair: {p.suggested_repair}"
                                                     if p.suggested_repair else "")
    total = max(len(problems), total or 0)
    if total > limit:
        out["…"] = f"{total - min(limit, len(problems)):,} more held-back reports (see the table)"
    return out


def preview_markdown(con, relation: str, columns: list[str] | None = None, n: int = 10,
                     order_by: str | None = None) -> str:
    """The first ``n`` rows of a relation as a Markdown table (only ``columns`` when given)."""
    cols = columns or [c for c, _ in relation_schema(con, relation)]
    sel = ", ".join(f'"{c}"' for c in cols)
    sql = f"select {sel} from {relation}" + (f" order by {order_by}" if order_by else "") + f" limit {int(n)}"
    rows = [list(r) for r in con.execute(sql).fetchall()]
    return markdown_table(cols, rows, max_rows=n)


def table_columns(con, relation: str, descriptions: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(column, DuckDB type, description) of a relation; descriptions from the dbt model's YAML."""
    d = descriptions or {}
    return [(c, t, d.get(c) or "") for c, t in relation_schema(con, relation)]


def relation_schema(con, relation: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a relation."""
    return [(r[0], r[1]) for r in con.execute(f"describe select * from {relation}").fetchall()]


def row_count(con, relation: str) -> int:
    return int(con.execute(f"select count(*) from {relation}").fetchone()[0])
