-- Table 三 outcome leaf rows, one row per published report × applicant type × leaf.
-- Leaves follow the report's template: gov2021 has 21 (other_* split in three), gov2019 has 19
-- (other_total is the leaf). Derived subtotals (denied_total …) are not stored: sum the leaves.
-- `count` is the published value; value_origin / value_as_printed / origin_note say when it is not simply
-- what the report prints (manual corrections, resolved splits, derived cells).
{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ delete_changed_reports() }}") }}
with

published as (
    {{ published_reports() }}
),

cells as (
    select * from {{ ref('stg_raw__t3_cells') }}
),

leaves as (
    select code as outcome_code, template_version, outcome_group
    from {{ ref('stg_raw__codes') }}
    where code_type = 't3_row' and kind = 'leaf'
),

applicant_types as (
    select code as applicant_type
    from {{ ref('stg_raw__codes') }}
    where code_type = 't3_column'
),

final as (
    select
        published.report_id,
        published.report_year,
        published.agency_name,
        published.template_version,
        cells.col_code as applicant_type,
        cells.row_code as outcome_code,
        leaves.outcome_group,
        cells.value as count,
        cells.value_origin,
        cells.value_as_printed,
        cells.origin_note
    from cells
    join published using (report_id)
    join leaves
        on leaves.outcome_code = cells.row_code
        and leaves.template_version = published.template_version
    join applicant_types on applicant_types.applicant_type = cells.col_code
)

select * from final
