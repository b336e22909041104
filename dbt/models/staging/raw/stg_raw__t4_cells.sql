with

source as (
    select * from {{ source('raw', 't4_cells') }}
),

renamed as (
    select
        parse_key,
        proceeding,
        result,
        value
    from source
)

select * from renamed
