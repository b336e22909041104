with

source as (
    select * from {{ source('raw', 'landing_files') }}
),

renamed as (
    select
        ----------  ids
        source_path,
        parse_key,
        content_sha256,
        ----------  properties
        source_format as ext_format,
        size_bytes
    from source
)

select * from renamed
