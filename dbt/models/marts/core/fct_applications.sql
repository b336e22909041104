-- Table 三 input rows and the outcome total, one row per published report × applicant type.
-- Four cells per row: value_origin is the row's most notable origin (manual > resolved > the parser's
-- non-printed origins > printed), `<measure>_as_printed` keeps each value as the report states it, and
-- origin_note joins the notes of the row's cells.
{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ delete_changed_reports() }}") }}
with

published as (
    {{ published_reports() }}
),

cells as (
    select * from {{ ref('stg_raw__t3_cells') }}
    where row_code in ('received_new', 'carried_in', 'outcome_total', 'carried_out')
),

applicant_types as (
    select code as applicant_type
    from {{ ref('stg_raw__codes') }}
    where code_type = 't3_column'
),

pivoted as (
    select
        published.report_id,
        published.report_year,
        published.agency_name,
        published.template_version,
        cells.col_code as applicant_type,
        max(case when cells.row_code = 'received_new' then cells.value end) as received_new,
        max(case when cells.row_code = 'carried_in' then cells.value end) as carried_in,
        max(case when cells.row_code = 'outcome_total' then cells.value end) as outcome_total,
        max(case when cells.row_code = 'carried_out' then cells.value end) as carried_out,
        arg_max(
            cells.value_origin,
            case cells.value_origin when 'manual' then 3 when 'resolved' then 2 when 'printed' then 0 else 1 end
        ) as value_origin,
        max(case when cells.row_code = 'received_new' then cells.value_as_printed end) as received_new_as_printed,
        max(case when cells.row_code = 'carried_in' then cells.value_as_printed end) as carried_in_as_printed,
        max(case when cells.row_code = 'outcome_total' then cells.value_as_printed end) as outcome_total_as_printed,
        max(case when cells.row_code = 'carried_out' then cells.value_as_printed end) as carried_out_as_printed,
        string_agg(cells.row_code || ': ' || cells.origin_note, '; ' order by cells.row_code) as origin_note
    from cells
    join published using (report_id)
    join applicant_types on applicant_types.applicant_type = cells.col_code
    group by all
),

final as (
    select
        report_id,
        report_year,
        agency_name,
        template_version,
        applicant_type,
        received_new,
        carried_in,
        outcome_total,
        carried_out,
        value_origin,
        received_new_as_printed,
        carried_in_as_printed,
        outcome_total_as_printed,
        carried_out_as_printed,
        origin_note
    from pivoted
)

select * from final
