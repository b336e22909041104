-- Every entry of the corrections file of the last run (data/corrections.yaml, $GONGKAI_CORRECTIONS or
-- `gongkai run --corrections FILE`), one row per entry × the report it points at: `applied` (the cell is
-- published with value_origin = 'manual') or `stale` (not applied: report not found, content changed, cell
-- missing, or the report no longer states `original`). Stale entries that point at a report also appear in
-- check_results as CORRECTION.stale (warn).
with

corrections as (
    select * from {{ ref('stg_raw__corrections') }}
),

reports as (
    select report_id, status from {{ ref('stg_raw__reports') }}
),

final as (
    select
        corrections.entry_no,
        corrections.status,
        corrections.stale_reason,
        corrections.report_id,
        corrections.report_year,
        corrections.source_path,
        corrections.agency_name,
        corrections.tbl,
        corrections.cell,
        corrections.original,
        corrections.value_as_printed,
        corrections.value,
        corrections.reason,
        corrections.who,
        corrections.corrected_on,
        corrections.errors_before,
        corrections.errors_after,
        reports.status as report_status,
        corrections.report,
        corrections.corrections_file
    from corrections
    left join reports using (report_id)
)

select * from final
