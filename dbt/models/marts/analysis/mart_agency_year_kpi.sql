-- KPIs per agency and year (domain.md §6; CONTRACT §2b). Ratios of sums, NULL on a zero denominator.
-- One published report per agency-year enters the sums (int_analysis__report_measures.enters_kpi);
-- n_reports counts the agency-year's published and quarantined reports, n_reports_with_errors those with an
-- error check (quarantined: left out of the sums). Same formulas: dagster_project/lib/kpi.py.
with

counted_reports as (
    select
        reports.report_id,
        reports.report_year,
        agency_names.agency_id
    from {{ ref('reports') }} as reports
    inner join {{ source('raw_analysis', 'agency_names') }} as agency_names
        on agency_names.agency_name = reports.agency_name
    where reports.status in ('published', 'quarantined')
),

reports_with_errors as (
    select distinct report_id
    from {{ ref('check_results') }}
    where severity = 'error'
),

counts as (
    select
        counted_reports.agency_id,
        counted_reports.report_year,
        count(*) as n_reports,
        count(reports_with_errors.report_id) as n_reports_with_errors
    from counted_reports
    left join reports_with_errors on reports_with_errors.report_id = counted_reports.report_id
    group by counted_reports.agency_id, counted_reports.report_year
),

measures as (
    select * from {{ ref('int_analysis__report_measures') }}
    where enters_kpi
),

sums as (
    select
        agency_id,
        report_year,
        sum(received_new) as received_new,
        sum(carried_in) as carried_in,
        sum(outcome_total) as outcome_total,
        sum(carried_out) as carried_out,
        sum(received_new_natural_person) as received_new_natural_person,
        sum(granted) as granted,
        sum(partially_granted) as partially_granted,
        sum(denied) as denied,
        sum(unavailable) as unavailable,
        sum(unavailable_not_held) as unavailable_not_held,
        sum(not_processed) as not_processed,
        sum(other) as other,
        sum(review_corrected) as review_corrected,
        sum(review_total) as review_total,
        sum(review_pending) as review_pending,
        sum(litigation_corrected) as litigation_corrected,
        sum(litigation_total) as litigation_total,
        sum(litigation_pending) as litigation_pending,
        sum(outcome_total) filter (where litigation_total is not null) as decisions_with_t4
    from measures
    group by agency_id, report_year
),

growth as (
    select
        cur.agency_id,
        cur.report_year,
        cast(cur.received_new as double) / nullif(prev.received_new, 0) - 1 as received_growth
    from measures as cur
    inner join measures as prev
        on prev.agency_id = cur.agency_id
        and prev.report_year = cur.report_year - 1
),

final as (
    select
        counts.agency_id,
        counts.report_year,
        counts.n_reports,
        counts.n_reports_with_errors,
        sums.received_new + sums.carried_in as caseload,
        sums.outcome_total as decisions,
        cast(sums.granted + sums.partially_granted as double) / nullif(sums.outcome_total, 0) as grant_rate,
        cast(sums.granted as double) / nullif(sums.outcome_total, 0) as grant_rate_full,
        cast(sums.granted + sums.partially_granted as double)
            / nullif(sums.outcome_total - sums.not_processed - sums.other, 0) as grant_rate_substantive,
        cast(sums.denied as double) / nullif(sums.outcome_total, 0) as denial_rate,
        cast(sums.unavailable as double) / nullif(sums.outcome_total, 0) as unavailable_rate,
        cast(sums.unavailable_not_held as double) / nullif(sums.outcome_total, 0) as not_held_rate,
        cast(sums.not_processed as double) / nullif(sums.outcome_total, 0) as not_processed_rate,
        cast(sums.carried_out as double) / nullif(sums.received_new + sums.carried_in, 0) as backlog_rate,
        cast(sums.received_new_natural_person as double) / nullif(sums.received_new, 0) as natural_person_share,
        cast(sums.review_corrected as double)
            / nullif(sums.review_total - sums.review_pending, 0) as review_correction_rate,
        cast(sums.litigation_corrected as double)
            / nullif(sums.litigation_total - sums.litigation_pending, 0) as litigation_correction_rate,
        cast(sums.litigation_total as double) * 100 / nullif(sums.decisions_with_t4, 0) as litigation_intensity,
        growth.received_growth
    from counts
    left join sums
        on sums.agency_id = counts.agency_id
        and sums.report_year = counts.report_year
    left join growth
        on growth.agency_id = counts.agency_id
        and growth.report_year = counts.report_year
)

select * from final
