-- Table 二: proactive disclosure, one row per published report × item × measure.
-- value_origin / value_as_printed / origin_note: e.g. `resolved` when a run-together 规章 row was settled by the
-- in-force chain T2.S2 with the neighbouring year.
{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ delete_changed_reports() }}") }}
with

published as (
    {{ published_reports(extra_columns=['template_t2']) }}
),

cells as (
    select * from {{ ref('stg_raw__t2_cells') }}
),

items as (
    select distinct code as item, template_version, block
    from {{ ref('stg_raw__codes') }}
    where code_type = 't2_item'
),

final as (
    select
        published.report_id,
        published.report_year,
        published.agency_name,
        published.template_version,
        items.block,
        cells.item,
        cells.measure,
        cells.value,
        cells.value_origin,
        cells.value_as_printed,
        cells.origin_note
    from cells
    join published using (report_id)
    left join items
        on items.item = cells.item
        and items.template_version = coalesce(published.template_t2, published.template_version)
)

select * from final
