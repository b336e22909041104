-- Table 二: proactive disclosure, one row per published report × item × measure.
-- value_origin / value_as_printed / origin_note: see int_t2_cells_published (e.g. `resolved` when a
-- run-together 规章 row was settled by the in-force chain T2.S2 with the neighbouring year).
with

cells as (
    select * from {{ ref('int_t2_cells_published') }}
),

items as (
    select distinct code as item, template_version, block
    from {{ ref('stg_raw__codes') }}
    where code_type = 't2_item'
),

final as (
    select
        cells.report_id,
        cells.report_year,
        cells.agency_name,
        cells.template_version,
        items.block,
        cells.item,
        cells.measure,
        cast(cells.value as double) as value,
        cells.value_origin,
        cast(cells.value_as_printed as double) as value_as_printed,
        cells.origin_note
    from cells
    left join items
        on items.item = cells.item
        and items.template_version = cells.template_version
)

select * from final
