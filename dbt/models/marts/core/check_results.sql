-- Every in-report check of every ingested report (published or not), one row per report × check.
with

reports as (
    select report_id, parse_key, report_year, agency_name, status
    from {{ ref('int_reports_classified') }}
),

checks as (
    select * from {{ ref('stg_raw__checks') }}
),

final as (
    select
        reports.report_id,
        reports.report_year,
        checks.check_seq,
        checks.check_id,
        checks.severity,
        checks.cells,
        checks.expected,
        checks.actual,
        checks.message,
        reports.agency_name,
        reports.status as report_status
    from reports
    join checks using (parse_key)
)

select * from final
