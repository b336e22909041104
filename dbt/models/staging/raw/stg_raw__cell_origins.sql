with

source as (
    select * from {{ source('raw', 'cell_origins') }}
),

renamed as (
    select
        parse_key,
        tbl,
        cell,
        split_part(cell, '__', 1) as cell_row,
        split_part(cell, '__', 2) as cell_col,
        origin
    from source
)

select * from renamed
