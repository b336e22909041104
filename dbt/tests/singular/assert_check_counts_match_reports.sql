{{ config(meta={"dagster": {"ref": {"name": "reports"}}}) }}
-- Fails when a report's n_errors / n_warnings differ from its rows in check_results (after corrections,
-- cross-report and correction warnings included): the counts and the rows must tell the same story.
with counts as (
    select
        report_id,
        count(*) filter (where severity = 'error') as n_errors,
        count(*) filter (where severity = 'warn') as n_warnings
    from {{ ref('check_results') }}
    group by report_id
)
select r.report_id, r.n_errors, r.n_warnings, c.n_errors as check_errors, c.n_warnings as check_warnings
from {{ ref('reports') }} as r
left join counts as c using (report_id)
where r.n_errors <> coalesce(c.n_errors, 0) or r.n_warnings <> coalesce(c.n_warnings, 0)
