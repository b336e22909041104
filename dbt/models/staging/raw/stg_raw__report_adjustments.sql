with

source as (
    select * from {{ source('raw', 'report_adjustments') }}
),

renamed as (
    select
        ----------  ids
        report_id,
        parse_key,
        source_path,
        ----------  state after corrections, cross-report checks and resolutions
        parse_status,
        n_errors,
        n_warnings,
        n_ambiguous,
        ambiguous_json,
        suggested_repair,
        suggested_repair_json,
        rechecked,
        n_corrected_cells,
        n_resolved_parts
    from source
)

select * from renamed
