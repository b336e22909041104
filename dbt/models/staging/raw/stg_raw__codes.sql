-- raw.codes as written by the record builder (dagster_project/lib/warehouse/record.py): finished records, columns as
-- declared in dagster_project/lib/warehouse/schema.py. Staging only passes them on.
select * from {{ source('raw', 'codes') }}
