-- KPIs per agency and year (domain.md §6; CONTRACT §2b). Ratios of sums, NULL on a zero denominator.
-- The published report of each agency-year (at most one: the record's canonical copy) enters the sums;
-- n_reports counts the agency-year's published and quarantined reports, n_reports_with_errors those with an
-- error check (quarantined: left out of the sums). Same formulas: dagster_project/devtools/kpi_oracle.py.
with

counted_reports as (
    select
        reports.report_id,
        reports.report_year,
        reports.agency_id
    from {{ ref('reports') }} as reports
    where reports.status in ('published', 'quarantined') and reports.agency_id is not null
        and reports.report_year is not null  -- a report without a year (P.YEAR) has no place in a year's KPIs
),

reports_with_errors as (
    select distinct report_id
    from {{ ref('check_results') }}
    where severity = 'error'
),

counts as (
    select
        counted_reports.agency_id,
        counted_reports.report_year,
        count(*) as n_reports,
        count(reports_with_errors.report_id) as n_reports_with_errors
    from counted_reports
    left join reports_with_errors on reports_with_errors.report_id = counted_reports.report_id
    group by counted_reports.agency_id, counted_reports.report_year
),

measures as (
    select * from {{ ref('int_analysis__report_measures') }}
),

sums as (
    select
        agency_id,
        report_year,
        {{ kpi_sums() }}
    from measures
    group by agency_id, report_year
),

growth as (
    select
        cur.agency_id,
        cur.report_year,
        cast(cur.received_new as double) / nullif(prev.received_new, 0) - 1 as received_growth
    from measures as cur
    inner join measures as prev
        on prev.agency_id = cur.agency_id
        and prev.report_year = cur.report_year - 1
),

final as (
    select
        counts.agency_id,
        counts.report_year,
        counts.n_reports,
        counts.n_reports_with_errors,
        {{ kpi_ratios("sums") }},
        growth.received_growth
    from counts
    left join sums
        on sums.agency_id = counts.agency_id
        and sums.report_year = counts.report_year
    left join growth
        on growth.agency_id = counts.agency_id
        and growth.report_year = counts.report_year
)

select * from final
