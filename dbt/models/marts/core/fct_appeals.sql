-- Table 四: administrative review and litigation, one row per published report × proceeding × result.
{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ delete_changed_reports() }}") }}
with

published as (
    {{ published_reports() }}
),

cells as (
    select * from {{ ref('stg_raw__t4_cells') }}
),

final as (
    select
        published.report_id,
        published.report_year,
        published.agency_name,
        published.template_version,
        cells.proceeding,
        cells.result,
        cells.value as count,
        cells.value_origin,
        cells.value_as_printed,
        cells.origin_note
    from cells
    join published using (report_id)
)

select * from final
