-- Table 二: proactive disclosure, one row per published report × item × measure.
with

published as (
    select report_id, parse_key, report_year, agency_name, template_version
    from {{ ref('int_reports_classified') }}
    where status = 'published'
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
        cast(cells.value as double) as value
    from published
    join cells using (parse_key)
    left join items
        on items.item = cells.item
        and items.template_version = published.template_version
)

select * from final
