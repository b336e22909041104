{{ config(meta={"dagster": {"ref": {"name": "reports"}}}) }}
-- Fails when raw_adjustments (lib/warehouse/adjust.py, which computes report ids in Python) names a report
-- that `reports` does not have under the same source_path: the two report-id computations must agree.
select a.report_id, a.source_path, r.source_path as reports_source_path
from {{ ref('stg_raw__report_adjustments') }} as a
left join {{ ref('reports') }} as r using (report_id)
where r.source_path is distinct from a.source_path
