-- One row per published report with an agency: the base measures of the KPIs (domain.md §6), on the applicant
-- column `total` unless the name says otherwise. An agency-year has at most one published report (the record's
-- canonical copy: lib/warehouse/record.py); it is the one the KPI sums take.
-- devtools/kpi_oracle.py (report_base) computes the same measures in Python for the tests.
with

published as (
    select
        reports.report_id,
        reports.report_year,
        reports.agency_name,
        reports.publish_date,
        reports.agency_id
    from {{ ref('reports') }} as reports
    where reports.status = 'published' and reports.agency_id is not null
),

applications as (
    select
        report_id,
        max(received_new) filter (where applicant_type = 'total') as received_new,
        max(carried_in) filter (where applicant_type = 'total') as carried_in,
        max(outcome_total) filter (where applicant_type = 'total') as outcome_total,
        max(carried_out) filter (where applicant_type = 'total') as carried_out,
        max(received_new) filter (where applicant_type = 'natural_person') as received_new_natural_person,
        max(received_new) filter (where applicant_type = 'org_legal_service') as received_new_org_legal_service
    from {{ ref('fct_applications') }}
    group by report_id
),

outcomes as (
    select
        report_id,
        sum(count) filter (where outcome_group = 'granted') as granted,
        sum(count) filter (where outcome_group = 'partially_granted') as partially_granted,
        sum(count) filter (where outcome_group = 'denied') as denied,
        sum(count) filter (where outcome_group = 'unavailable') as unavailable,
        sum(count) filter (where outcome_code = 'unavailable_not_held') as unavailable_not_held,
        sum(count) filter (where outcome_group = 'not_processed') as not_processed,
        sum(count) filter (where outcome_group = 'other') as other,
        sum(count) filter (where outcome_code = 'not_processed_petition_complaint') as not_processed_petition_complaint,
        {%- for reason in ['denied_state_secret', 'denied_prohibited_by_law', 'denied_security_stability',
                           'denied_third_party_rights', 'denied_internal_affairs', 'denied_process_info',
                           'denied_enforcement_file', 'denied_admin_query'] %}
        sum(count) filter (where outcome_code = '{{ reason }}') as {{ reason }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('fct_outcomes') }}
    where applicant_type = 'total'
    group by report_id
),

appeals as (
    select
        report_id,
        sum(count) filter (where proceeding = 'admin_review' and result = 'corrected') as review_corrected,
        sum(count) filter (where proceeding = 'admin_review' and result = 'total') as review_total,
        sum(count) filter (where proceeding = 'admin_review' and result = 'pending') as review_pending,
        sum(count) filter (
            where proceeding in ('litigation_direct', 'litigation_after_review') and result = 'corrected'
        ) as litigation_corrected,
        sum(count) filter (
            where proceeding in ('litigation_direct', 'litigation_after_review') and result = 'total'
        ) as litigation_total,
        sum(count) filter (
            where proceeding in ('litigation_direct', 'litigation_after_review') and result = 'pending'
        ) as litigation_pending
    from {{ ref('fct_appeals') }}
    group by report_id
),

final as (
    select
        published.report_id,
        published.report_year,
        published.agency_id,
        published.agency_name,
        published.publish_date,
        applications.received_new,
        applications.carried_in,
        applications.outcome_total,
        applications.carried_out,
        applications.received_new_natural_person,
        applications.received_new_org_legal_service,
        outcomes.granted,
        outcomes.partially_granted,
        outcomes.denied,
        outcomes.unavailable,
        outcomes.unavailable_not_held,
        outcomes.not_processed,
        outcomes.not_processed_petition_complaint,
        outcomes.other,
        {%- for reason in ['denied_state_secret', 'denied_prohibited_by_law', 'denied_security_stability',
                           'denied_third_party_rights', 'denied_internal_affairs', 'denied_process_info',
                           'denied_enforcement_file', 'denied_admin_query'] %}
        outcomes.{{ reason }},
        {%- endfor %}
        appeals.review_corrected,
        appeals.review_total,
        appeals.review_pending,
        appeals.litigation_corrected,
        appeals.litigation_total,
        appeals.litigation_pending
    from published
    left join applications on applications.report_id = published.report_id
    left join outcomes on outcomes.report_id = published.report_id
    left join appeals on appeals.report_id = published.report_id
)

select * from final
