with

source as (
    select * from {{ source('raw', 't3_cells') }}
),

renamed as (
    select
        parse_key,
        row_code,
        col_code,
        value
    from source
)

select * from renamed
