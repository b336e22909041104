with

source as (
    select * from {{ source('raw', 'parsed_reports') }}
),

renamed as (
    select
        ----------  ids
        parse_key,
        content_sha256,
        parser_version,
        ----------  parse outcome
        parse_status,
        error,
        ----------  report properties
        agency_name,
        report_year,
        template_version,
        try_cast(publish_date as date) as publish_date,
        parsed_format,
        ----------  quality
        coalesce(n_errors, 0) as n_errors,
        coalesce(n_warnings, 0) as n_warnings,
        coalesce(n_ambiguous, 0) as n_ambiguous,
        ambiguous_json,
        suggested_repair,
        suggested_repair_json,
        has_t2,
        has_t3,
        has_t4
    from source
)

select * from renamed
