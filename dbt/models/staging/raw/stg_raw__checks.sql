with

source as (
    select * from {{ source('raw', 'checks') }}
),

renamed as (
    select
        parse_key,
        check_seq,
        check_id,
        severity,
        cells,
        expected,
        actual,
        message
    from source
)

select * from renamed
