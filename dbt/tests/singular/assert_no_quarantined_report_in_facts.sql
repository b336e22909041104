{{ config(meta={"dagster": {"ref": {"name": "reports"}}}) }}
-- Fails when a report that is not `published` (quarantined, duplicate, unreadable) has rows in a
-- fact mart: fact marts hold published reports only (CONTRACT §2).
with fact_reports as (
    select distinct report_id from {{ ref('fct_applications') }}
    union select distinct report_id from {{ ref('fct_outcomes') }}
    union select distinct report_id from {{ ref('fct_appeals') }}
    union select distinct report_id from {{ ref('fct_proactive_disclosure') }}
)
select f.report_id, r.status
from fact_reports as f
join {{ ref('reports') }} as r using (report_id)
where r.status <> 'published'
