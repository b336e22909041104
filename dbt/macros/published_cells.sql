{#
  The cells of one table (t2 / t3 / t4) of the published reports, each with the value that is published
  and where it comes from (the three int_t*_cells_published models differ only in these arguments):
    value_origin      'manual'    an audited correction (data/corrections.yaml; raw.cell_adjustments)
                      'resolved'  an ambiguous split settled by a neighbouring year or a duplicate copy
                      the parser's origin of a cell it did not read as a printed number ('derived' 总计,
                      'blank_as_zero', 'symbol_as_zero', 'not_applicable')
                      'printed'   everything else
    value_as_printed  the parser's reading of the report (what the report states)
    origin_note       who corrected it and why, or which check and report settled it
#}
{% macro published_cells(tbl, staging_model, row_col, col_col, value_type) %}
with

published as (
    select report_id, parse_key, report_year, agency_name, template_version
    from {{ ref('int_reports_classified') }}
    where status = 'published'
),

cells as (
    select * from {{ ref(staging_model) }}
),

origins as (
    select parse_key, cell_row, cell_col, origin
    from {{ ref('stg_raw__cell_origins') }}
    where tbl = '{{ tbl }}'
),

adjustments as (
    select report_id, cell_row, cell_col, value, value_origin, origin_note
    from {{ ref('stg_raw__cell_adjustments') }}
    where tbl = '{{ tbl }}'
),

final as (
    select
        published.report_id,
        published.parse_key,
        published.report_year,
        published.agency_name,
        published.template_version,
        cells.{{ row_col }},
        cells.{{ col_col }},
        case
            when adjustments.report_id is not null then cast(adjustments.value as {{ value_type }})
            else cells.value
        end as value,
        cells.value as value_as_printed,
        coalesce(adjustments.value_origin, origins.origin, 'printed') as value_origin,
        adjustments.origin_note
    from published
    inner join cells on cells.parse_key = published.parse_key
    left join origins
        on origins.parse_key = cells.parse_key
        and origins.cell_row = cells.{{ row_col }}
        and origins.cell_col = cells.{{ col_col }}
    left join adjustments
        on adjustments.report_id = published.report_id
        and adjustments.cell_row = cells.{{ row_col }}
        and adjustments.cell_col = cells.{{ col_col }}
)

select * from final
{% endmacro %}
