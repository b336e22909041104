-- Every check of every ingested report (published or not), one row per report × check, in the record's order
-- (check_seq). check_origin: parse (the parser's in-report checks), record (the warehouse's filing rules, e.g.
-- P.YEAR), recheck (a corrected report's checks re-run: they replace its parse checks), correction
-- (CORRECTION.applied / CORRECTION.stale) and cross_report (X.S1, T2.S2, T2.S3, X.S8, X.S10; warn only).
{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ delete_changed_reports() }}") }}
with

reports as (
    select report_id, report_year, agency_name, status
    from {{ ref('stg_raw__reports') }}
    {{ only_changed_reports('where') }}
),

checks as (
    select * from {{ ref('stg_raw__checks') }}
),

final as (
    select
        checks.report_id,
        reports.report_year,
        checks.check_seq,
        checks.check_id,
        checks.severity,
        checks.cells,
        checks.expected,
        checks.actual,
        checks.message,
        checks.check_origin,
        reports.agency_name,
        reports.status as report_status
    from checks
    join reports using (report_id)
)

select * from final
