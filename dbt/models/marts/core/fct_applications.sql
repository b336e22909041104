-- Table 三 input rows and the outcome total, one row per published report × applicant type.
with

published as (
    select report_id, parse_key, report_year, agency_name, template_version
    from {{ ref('int_reports_classified') }}
    where status = 'published'
),

cells as (
    select * from {{ ref('stg_raw__t3_cells') }}
    where row_code in ('received_new', 'carried_in', 'outcome_total', 'carried_out')
),

applicant_types as (
    select code as applicant_type, sort_order
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
        max(case when cells.row_code = 'carried_out' then cells.value end) as carried_out
    from published
    join cells using (parse_key)
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
        carried_out
    from pivoted
)

select * from final
