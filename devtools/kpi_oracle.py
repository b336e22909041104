"""KPI formulas of domain.md §6 in plain Python — the reference for the dbt marts in
``dbt/models/marts/analysis/`` (``mart_agency_year_kpi``, ``mart_region_year_kpi``); tests hold both to the same
hand-computed values.

Rules (the same in SQL):

- Every rate is a **ratio of sums** over the reports of the row, never a mean of ratios, and is ``None``
  (SQL NULL) when its denominator is 0 or unknown.
- The agency-year's *published* report enters the sums. There is at most one: the report record
  (``dagster_project/lib/warehouse/record.py``) publishes the canonical copy of an agency-year and files the others
  as duplicates, so this oracle takes the statuses as given (and refuses inputs with two). Quarantined reports
  never enter.
- ``n_reports``: the agency-year's (region-year's) reports that were read as reports (status published or
  quarantined; duplicates and unreadable files are not counted). ``n_reports_with_errors``: those among them
  with at least one error check (they are quarantined, so their numbers are left out).
- Table-四 rates over a table-三 denominator (litigation_intensity) use only reports that have both tables.
- ``received_growth`` = Σ received_new.total(y) / Σ received_new.total(y−1) − 1 over the agencies of the row
  that have both years (for one agency: its own two years), NULL without a previous year or on a zero base.
"""

from __future__ import annotations

from collections import defaultdict

from dagster_project.lib.parsing.template import LEAVES, outcome_group

# the eight refusal reasons of table 三 (三)不予公开; each gets a share of all refusals
DENIAL_REASONS = tuple(leaf for leaf in LEAVES["gov2021"] if leaf.startswith("denied_"))

KPI_COLUMNS = (
    "caseload",
    "decisions",
    "grant_rate",
    "grant_rate_full",
    "grant_rate_substantive",
    "denial_rate",
    "unavailable_rate",
    "not_held_rate",
    "not_processed_rate",
    "backlog_rate",
    "natural_person_share",
    "org_share",
    "legal_service_share",
    "petition_share",
    *(f"{reason}_share" for reason in DENIAL_REASONS),
    "review_correction_rate",
    "litigation_correction_rate",
    "litigation_intensity",
    "received_growth",
)

# per-report base measures (applicant column `total` unless named otherwise)
BASE_COLUMNS = (
    "received_new",
    "carried_in",
    "outcome_total",
    "carried_out",
    "received_new_natural_person",
    "received_new_org_legal_service",
    "granted",
    "partially_granted",
    "denied",
    "unavailable",
    "unavailable_not_held",
    "not_processed",
    "not_processed_petition_complaint",
    "other",
    *DENIAL_REASONS,
    "review_corrected",
    "review_total",
    "review_pending",
    "litigation_corrected",
    "litigation_total",
    "litigation_pending",
)
_COUNTED_STATUS = ("published", "quarantined")


def _sum(values) -> float | int | None:
    """SQL ``sum``: None when every value is None."""
    vals = [v for v in values if v is not None]
    return sum(vals) if vals else None


def _ratio(num, den, scale: int = 1) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num * scale / den


def _sub(a, b):
    return None if a is None or b is None else a - b


def report_base(t3: dict | None, t4: dict | None, template_version: str = "gov2021") -> dict:
    """The base measures of one report from its flat table dicts (None where the table or cell is absent)."""
    t3 = t3 or {}
    t4 = t4 or {}
    version = template_version if template_version in LEAVES else "gov2021"
    leaves = LEAVES[version]

    def group_sum(group: str):
        return _sum(t3.get(f"{leaf}__total") for leaf in leaves if outcome_group(leaf) == group)

    base = {
        "received_new": t3.get("received_new__total"),
        "carried_in": t3.get("carried_in__total"),
        "outcome_total": t3.get("outcome_total__total"),
        "carried_out": t3.get("carried_out__total"),
        "received_new_natural_person": t3.get("received_new__natural_person"),
        "received_new_org_legal_service": t3.get("received_new__org_legal_service"),
        "granted": group_sum("granted"),
        "partially_granted": group_sum("partially_granted"),
        "denied": group_sum("denied"),
        "unavailable": group_sum("unavailable"),
        "unavailable_not_held": t3.get("unavailable_not_held__total"),
        "not_processed": group_sum("not_processed"),
        "not_processed_petition_complaint": t3.get("not_processed_petition_complaint__total"),
        "other": group_sum("other"),
        **{reason: t3.get(f"{reason}__total") for reason in DENIAL_REASONS},
        "review_corrected": t4.get("admin_review__corrected"),
        "review_total": t4.get("admin_review__total"),
        "review_pending": t4.get("admin_review__pending"),
        "litigation_corrected": _sum(t4.get(f"{p}__corrected") for p in ("litigation_direct", "litigation_after_review")),
        "litigation_total": _sum(t4.get(f"{p}__total") for p in ("litigation_direct", "litigation_after_review")),
        "litigation_pending": _sum(t4.get(f"{p}__pending") for p in ("litigation_direct", "litigation_after_review")),
    }
    return base


def kpis_from_sums(s: dict) -> dict:
    """The KPI columns (except received_growth) from summed base measures.

    ``s`` holds the sums of :data:`BASE_COLUMNS` plus ``decisions_with_t4`` (Σ outcome_total over the reports
    that also have table 四).
    """
    caseload = None if s["received_new"] is None or s["carried_in"] is None else s["received_new"] + s["carried_in"]
    decisions = s["outcome_total"]
    granted_any = None if s["granted"] is None or s["partially_granted"] is None else s["granted"] + s["partially_granted"]
    substantive_den = _sub(_sub(decisions, s["not_processed"]), s["other"])
    return {
        "caseload": caseload,
        "decisions": decisions,
        "grant_rate": _ratio(granted_any, decisions),
        "grant_rate_full": _ratio(s["granted"], decisions),
        "grant_rate_substantive": _ratio(granted_any, substantive_den),
        "denial_rate": _ratio(s["denied"], decisions),
        "unavailable_rate": _ratio(s["unavailable"], decisions),
        "not_held_rate": _ratio(s["unavailable_not_held"], decisions),
        "not_processed_rate": _ratio(s["not_processed"], decisions),
        "backlog_rate": _ratio(s["carried_out"], caseload),
        "natural_person_share": _ratio(s["received_new_natural_person"], s["received_new"]),
        "org_share": _ratio(_sub(s["received_new"], s["received_new_natural_person"]), s["received_new"]),
        "legal_service_share": _ratio(s["received_new_org_legal_service"], s["received_new"]),
        "petition_share": _ratio(s["not_processed_petition_complaint"], decisions),
        **{f"{reason}_share": _ratio(s[reason], s["denied"]) for reason in DENIAL_REASONS},
        "review_correction_rate": _ratio(s["review_corrected"], _sub(s["review_total"], s["review_pending"])),
        "litigation_correction_rate": _ratio(
            s["litigation_corrected"], _sub(s["litigation_total"], s["litigation_pending"])
        ),
        "litigation_intensity": _ratio(s["litigation_total"], s["decisions_with_t4"], 100),
    }


def _sum_bases(bases: list[dict]) -> dict:
    s = {c: _sum(b[c] for b in bases) for c in BASE_COLUMNS}
    s["decisions_with_t4"] = _sum(b["outcome_total"] for b in bases if b["litigation_total"] is not None)
    return s


def _kpi_reports(reports: list[dict]) -> dict[tuple[str, int], dict]:
    """(agency_id, year) → the agency-year's published report (the record publishes at most one)."""
    out: dict[tuple[str, int], dict] = {}
    for r in reports:
        if r.get("status") == "published" and r.get("agency_id"):
            key = (r["agency_id"], int(r["report_year"]))
            if key in out:
                raise ValueError(f"two published reports for {key}: {out[key]['report_id']}, {r['report_id']} "
                                 "(the report record publishes one per agency-year)")
            out[key] = r
    return out


def _counts(reports: list[dict], key_of) -> dict:
    counts: dict = defaultdict(lambda: [0, 0])
    for r in reports:
        if r.get("status") not in _COUNTED_STATUS:
            continue
        k = key_of(r)
        if k is None:
            continue
        counts[k][0] += 1
        counts[k][1] += 1 if (r.get("n_errors") or 0) > 0 else 0
    return counts


def _base_of(r: dict) -> dict:
    return report_base(r.get("t3"), r.get("t4"), r.get("template_version") or "gov2021")


def agency_year_kpi(reports: list[dict]) -> list[dict]:
    """``mart_agency_year_kpi`` rows from report dicts (``report_id, agency_id, report_year, status, n_errors,
    publish_date, template_version, t3, t4``), sorted by agency_id, report_year."""
    chosen = _kpi_reports(reports)
    counts = _counts(reports, lambda r: (r["agency_id"], int(r["report_year"])) if r.get("agency_id") else None)
    bases = {k: _base_of(r) for k, r in chosen.items()}
    rows = []
    for key in sorted(counts):
        aid, y = key
        s = _sum_bases([bases[key]] if key in bases else [])
        row = {"agency_id": aid, "report_year": y, "n_reports": counts[key][0], "n_reports_with_errors": counts[key][1]}
        row.update(kpis_from_sums(s))
        prev = bases.get((aid, y - 1))
        cur = bases.get(key)
        row["received_growth"] = (
            None if prev is None or cur is None else _growth(cur["received_new"], prev["received_new"])
        )
        rows.append(row)
    return rows


def _growth(cur, prev) -> float | None:
    r = _ratio(cur, prev)
    return None if r is None else r - 1


def region_year_kpi(reports: list[dict], dim_agency: list[dict]) -> list[dict]:
    """``mart_region_year_kpi`` rows (region_code × admin_level × year) — agencies placed by ``dim_agency``."""
    dim = {d["agency_id"]: d for d in dim_agency}

    def group(aid):
        d = dim.get(aid, {})
        return d.get("region_code"), d.get("admin_level")

    chosen = _kpi_reports(reports)
    counts = _counts(
        reports, lambda r: (*group(r["agency_id"]), int(r["report_year"])) if r.get("agency_id") else None
    )
    bases = {k: _base_of(r) for k, r in chosen.items()}
    by_group: dict = defaultdict(list)
    for (aid, y), b in bases.items():
        by_group[(*group(aid), y)].append((aid, b))
    rows = []
    for key in sorted(counts, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        region, level, y = key
        members = by_group.get(key, [])
        s = _sum_bases([b for _, b in members])
        row = {
            "region_code": region,
            "admin_level": level,
            "report_year": y,
            "n_reports": counts[key][0],
            "n_reports_with_errors": counts[key][1],
        }
        row.update(kpis_from_sums(s))
        pairs = [
            (b["received_new"], bases[(aid, y - 1)]["received_new"])
            for aid, b in members
            if (aid, y - 1) in bases
            and b["received_new"] is not None
            and bases[(aid, y - 1)]["received_new"] is not None
        ]
        row["received_growth"] = (
            _growth(sum(c for c, _ in pairs), sum(p for _, p in pairs)) if pairs else None
        )
        rows.append(row)
    return rows
