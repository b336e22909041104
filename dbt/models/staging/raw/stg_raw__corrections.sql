with

source as (
    select * from {{ source('raw', 'corrections') }}
),

renamed as (
    select
        entry_no,
        report_id,
        source_path,
        report_year,
        agency_name,
        tbl,
        cell,
        value,
        original,
        value_as_printed,
        status,
        stale_reason,
        reason,
        who,
        corrected_on,
        report,
        errors_before,
        errors_after,
        corrections_file
    from source
)

select * from renamed
