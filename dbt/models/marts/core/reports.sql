with

classified as (
    select * from {{ ref('int_reports_classified') }}
),

final as (
    select
        report_id,
        source_path,
        source_format,
        agency_name,
        report_year,
        template_version,
        publish_date,
        status,
        n_errors,
        n_warnings,
        error,
        parse_status,
        canonical_report_id,
        is_canonical,
        duplicate_reason,
        n_ambiguous,
        n_corrected_cells,
        n_resolved_parts,
        agency_id,
        content_sha256,
        size_bytes
    from classified
)

select * from final
