with

source as (
    select * from {{ source('raw', 't2_cells') }}
),

renamed as (
    select
        parse_key,
        item,
        measure,
        value
    from source
)

select * from renamed
