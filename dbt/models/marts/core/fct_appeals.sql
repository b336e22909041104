-- Table 四: administrative review and litigation, one row per published report × proceeding × result.
-- value_origin / value_as_printed / origin_note: see int_t4_cells_published.
with

cells as (
    select * from {{ ref('int_t4_cells_published') }}
),

final as (
    select
        report_id,
        report_year,
        agency_name,
        template_version,
        proceeding,
        result,
        value as count,
        value_origin,
        value_as_printed,
        origin_note
    from cells
)

select * from final
