-- Reports held back because they break a hard invariant, with what failed and the suggested repair.
with

quarantined as (
    select * from {{ ref('stg_raw__reports') }}
    where status = 'quarantined'
),

-- the errors after corrections (a corrected report that still fails shows its re-check)
errors as (
    select * from {{ ref('stg_raw__checks') }}
    where severity = 'error'
),

failed as (
    select
        report_id,
        list_sort(list_distinct(list(check_id))) as failed_checks,
        string_agg(
            check_id || ' [' || array_to_string(cells, ', ') || ']'
            || coalesce(': ' || message, ''),
            '; ' order by check_seq
        ) as failed_checks_detail,
        count(*) as n_failed_checks
    from errors
    group by report_id
),

final as (
    select
        quarantined.report_id,
        quarantined.report_year,
        quarantined.source_path,
        quarantined.agency_name,
        coalesce(failed.failed_checks, []::varchar[]) as failed_checks,
        failed.failed_checks_detail,
        coalesce(failed.n_failed_checks, 0) as n_failed_checks,
        quarantined.suggested_repair,
        quarantined.suggested_repair_json,
        quarantined.template_version
    from quarantined
    left join failed using (report_id)
)

select * from final
