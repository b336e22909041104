-- Every check of every ingested report (published or not), one row per report × check:
--   check_origin 'parse'         the parser's in-report checks (domain.md §3)
--                'recheck'       a report with an applied correction: its checks re-run on the corrected
--                                tables (they replace the parse checks: check_results shows the state after
--                                correction; the checks that failed before are in CORRECTION.applied's message
--                                and the `corrections` mart's errors_before)
--                'correction'    CORRECTION.applied (warn: a cell published with a corrected value) and
--                                CORRECTION.stale (warn: an entry of the corrections file that no longer matches)
--                'cross_report'  X.S1, T2.S2, T2.S3, X.S8, X.S10 across the agency's reports (warn, never
--                                quarantine)
-- check_seq orders a report's rows: parse/recheck first, then correction and cross-report rows.
with

reports as (
    select report_id, parse_key, report_year, agency_name, status, rechecked
    from {{ ref('int_reports_classified') }}
),

parse_checks as (
    select
        reports.report_id,
        0 as origin_rank,
        checks.check_seq as origin_seq,
        'parse' as check_origin,
        checks.check_id,
        checks.severity,
        checks.cells,
        checks.expected,
        checks.actual,
        checks.message
    from reports
    join {{ ref('stg_raw__checks') }} as checks using (parse_key)
    where not reports.rechecked
),

derived as (
    select
        report_id,
        case check_origin when 'recheck' then 0 when 'correction' then 1 else 2 end as origin_rank,
        origin_seq,
        check_origin,
        check_id,
        severity,
        cells,
        expected,
        actual,
        message
    from {{ ref('stg_raw__derived_checks') }}
),

all_checks as (
    select * from parse_checks
    union all
    select derived.* from derived
    join reports using (report_id)
),

final as (
    select
        all_checks.report_id,
        reports.report_year,
        row_number() over (
            partition by all_checks.report_id order by all_checks.origin_rank, all_checks.origin_seq
        ) as check_seq,
        all_checks.check_id,
        all_checks.severity,
        all_checks.cells,
        all_checks.expected,
        all_checks.actual,
        all_checks.message,
        all_checks.check_origin,
        reports.agency_name,
        reports.status as report_status
    from all_checks
    join reports using (report_id)
)

select * from final
