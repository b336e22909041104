with

source as (
    select * from {{ source('raw', 'derived_checks') }}
),

renamed as (
    select
        report_id,
        check_origin,
        origin_seq,
        check_id,
        severity,
        cells,
        expected,
        actual,
        message
    from source
)

select * from renamed
