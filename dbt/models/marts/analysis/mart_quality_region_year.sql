-- Data quality per region × year (domain.md §6 "data quality"; CONTRACT §2b): how many reports were found,
-- quarantined, unreadable or left with ambiguous digit splits, how many warnings, and the share published
-- clean. Counts every ingested report except exact duplicates (status 'duplicate'); a report whose agency has
-- no region (or no name: unreadable files) counts under region_code NULL.
with

reports as (
    select
        reports.report_id,
        reports.report_year,
        reports.status,
        reports.n_ambiguous,
        dim_agency.region_code
    from {{ ref('reports') }} as reports
    left join {{ ref('dim_agency') }} as dim_agency
        on dim_agency.agency_id = reports.agency_id
    where reports.status <> 'duplicate'
),

checks as (
    select
        report_id,
        count(*) filter (where severity = 'error') as n_errors,
        count(*) filter (where severity = 'warn') as n_warnings
    from {{ ref('check_results') }}
    group by report_id
),

final as (
    select
        reports.region_code,
        reports.report_year,
        count(*) as n_reports,
        count(*) filter (where checks.n_errors > 0) as n_reports_with_errors,
        count(*) filter (where reports.status = 'quarantined') as n_quarantined,
        count(*) filter (where reports.status = 'unreadable') as n_unreadable,
        count(*) filter (where reports.n_ambiguous > 0) as n_ambiguous,
        coalesce(sum(checks.n_warnings), 0) as n_warnings,
        cast(count(*) filter (where reports.status = 'published') as double) / nullif(count(*), 0) as share_clean
    from reports
    left join checks on checks.report_id = reports.report_id
    group by reports.region_code, reports.report_year
)

select * from final
