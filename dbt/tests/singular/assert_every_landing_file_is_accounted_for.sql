{{ config(meta={"dagster": {"ref": {"name": "reports"}}}) }}
-- Fails when a file of the landing folder has no row in `reports`, or a row has no status:
-- every file must end up published, quarantined, unreadable or duplicate (issue 3, accounting).
select f.source_path, r.status
from {{ ref('stg_raw__landing_files') }} as f
left join {{ ref('reports') }} as r on r.source_path = f.source_path
where r.status is null
