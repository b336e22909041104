-- Table 四: administrative review and litigation, one row per published report × proceeding × result.
with

published as (
    select report_id, parse_key, report_year, agency_name, template_version
    from {{ ref('int_reports_classified') }}
    where status = 'published'
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
        cells.value as count
    from published
    join cells using (parse_key)
)

select * from final
