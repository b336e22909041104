-- KPIs per region × admin level × year (domain.md §6; CONTRACT §2b). The region is the agency's GB/T 2260
-- code in dim_agency (a county agency sits in its county, a prefectural one in its city; roll up by code
-- prefix for wider areas). Ratios of sums over the region's agencies, NULL on a zero denominator; one
-- published report per agency-year enters the sums. received_growth compares the agencies present in both
-- years only, so a region does not "grow" because more of its agencies published. Formulas as in
-- mart_agency_year_kpi and dagster_project/devtools/kpi_oracle.py.
with

dim_agency as (
    select agency_id, region_code, admin_level from {{ ref('dim_agency') }}
),

counted_reports as (
    select
        reports.report_id,
        reports.report_year,
        dim_agency.region_code,
        dim_agency.admin_level
    from {{ ref('reports') }} as reports
    inner join dim_agency on dim_agency.agency_id = reports.agency_id
    where reports.status in ('published', 'quarantined')
        and reports.report_year is not null  -- a report without a year (P.YEAR) has no place in a year's KPIs
),

reports_with_errors as (
    select distinct report_id
    from {{ ref('check_results') }}
    where severity = 'error'
),

counts as (
    select
        counted_reports.region_code,
        counted_reports.admin_level,
        counted_reports.report_year,
        count(*) as n_reports,
        count(reports_with_errors.report_id) as n_reports_with_errors
    from counted_reports
    left join reports_with_errors on reports_with_errors.report_id = counted_reports.report_id
    group by counted_reports.region_code, counted_reports.admin_level, counted_reports.report_year
),

measures as (
    select
        measures.*,
        dim_agency.region_code,
        dim_agency.admin_level
    from {{ ref('int_analysis__report_measures') }} as measures
    inner join dim_agency on dim_agency.agency_id = measures.agency_id
),

sums as (
    select
        region_code,
        admin_level,
        report_year,
        {{ kpi_sums() }}
    from measures
    group by region_code, admin_level, report_year
),

growth as (
    select
        cur.region_code,
        cur.admin_level,
        cur.report_year,
        cast(sum(cur.received_new) as double) / nullif(sum(prev.received_new), 0) - 1 as received_growth
    from measures as cur
    inner join measures as prev
        on prev.agency_id = cur.agency_id
        and prev.report_year = cur.report_year - 1
    where cur.received_new is not null and prev.received_new is not null
    group by cur.region_code, cur.admin_level, cur.report_year
),

final as (
    select
        counts.region_code,
        counts.admin_level,
        counts.report_year,
        counts.n_reports,
        counts.n_reports_with_errors,
        {{ kpi_ratios("sums") }},
        growth.received_growth
    from counts
    left join sums
        on sums.region_code is not distinct from counts.region_code
        and sums.admin_level is not distinct from counts.admin_level
        and sums.report_year = counts.report_year
    left join growth
        on growth.region_code is not distinct from counts.region_code
        and growth.admin_level is not distinct from counts.admin_level
        and growth.report_year = counts.report_year
)

select * from final
