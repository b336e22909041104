with

source as (
    select * from {{ source('raw', 'cell_adjustments') }}
),

renamed as (
    select
        report_id,
        parse_key,
        tbl,
        cell,
        split_part(cell, '__', 1) as cell_row,
        split_part(cell, '__', 2) as cell_col,
        value,
        value_as_printed,
        value_origin,
        origin_note
    from source
)

select * from renamed
