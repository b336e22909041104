with

source as (
    select * from {{ source('raw', 'codes') }}
),

renamed as (
    select
        code_type,
        code,
        template_version,
        label_zh,
        kind,
        parent_zh,
        outcome_group,
        block,
        sort_order
    from source
)

select * from renamed
