-- One row per landing file: the finished record's report-level columns (status and identity are decided
-- once, in dagster_project/lib/warehouse/record.py; this model only selects the published columns).
with

reports as (
    select * from {{ ref('stg_raw__reports') }}
),

final as (
    select
        ----------  ids
        report_id,
        canonical_report_id,
        content_sha256,
        ----------  file
        source_path,
        source_format,
        size_bytes,
        ----------  report
        agency_name,
        agency_id,
        report_year,
        template_version,
        publish_date,
        ----------  outcome
        status,
        n_errors,
        n_warnings,
        error,
        parse_status,
        is_canonical,
        duplicate_reason,
        n_ambiguous,
        n_corrected_cells,
        n_resolved_parts,
        suggested_repair
    from reports
)

select * from final
