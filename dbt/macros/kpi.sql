{#
  The KPI formulas of domain.md §6, shared by mart_agency_year_kpi and mart_region_year_kpi (and mirrored in
  dagster_project/devtools/kpi_oracle.py): first the sums over the reports that enter the KPIs, then the ratios of those
  sums, NULL when the denominator is 0. The refusal reasons are the eight (三)不予公开 leaves of table 三
  (LEAVES in dagster_project/lib/parsing/template.py; devtools/kpi_oracle.py DENIAL_REASONS).
#}
{% macro kpi_sums() %}
        sum(received_new) as received_new,
        sum(carried_in) as carried_in,
        sum(outcome_total) as outcome_total,
        sum(carried_out) as carried_out,
        sum(received_new_natural_person) as received_new_natural_person,
        sum(received_new_org_legal_service) as received_new_org_legal_service,
        sum(granted) as granted,
        sum(partially_granted) as partially_granted,
        sum(denied) as denied,
        sum(unavailable) as unavailable,
        sum(unavailable_not_held) as unavailable_not_held,
        sum(not_processed) as not_processed,
        sum(not_processed_petition_complaint) as not_processed_petition_complaint,
        sum(other) as other,
        {%- for reason in ['denied_state_secret', 'denied_prohibited_by_law', 'denied_security_stability', 'denied_third_party_rights', 'denied_internal_affairs', 'denied_process_info', 'denied_enforcement_file', 'denied_admin_query'] %}
        sum({{ reason }}) as {{ reason }},
        {%- endfor %}
        sum(review_corrected) as review_corrected,
        sum(review_total) as review_total,
        sum(review_pending) as review_pending,
        sum(litigation_corrected) as litigation_corrected,
        sum(litigation_total) as litigation_total,
        sum(litigation_pending) as litigation_pending,
        sum(outcome_total) filter (where litigation_total is not null) as decisions_with_t4
{% endmacro %}

{% macro kpi_ratios(s) %}
        {{ s }}.received_new + {{ s }}.carried_in as caseload,
        {{ s }}.outcome_total as decisions,
        cast({{ s }}.granted + {{ s }}.partially_granted as double) / nullif({{ s }}.outcome_total, 0) as grant_rate,
        cast({{ s }}.granted as double) / nullif({{ s }}.outcome_total, 0) as grant_rate_full,
        cast({{ s }}.granted + {{ s }}.partially_granted as double)
            / nullif({{ s }}.outcome_total - {{ s }}.not_processed - {{ s }}.other, 0) as grant_rate_substantive,
        cast({{ s }}.denied as double) / nullif({{ s }}.outcome_total, 0) as denial_rate,
        cast({{ s }}.unavailable as double) / nullif({{ s }}.outcome_total, 0) as unavailable_rate,
        cast({{ s }}.unavailable_not_held as double) / nullif({{ s }}.outcome_total, 0) as not_held_rate,
        cast({{ s }}.not_processed as double) / nullif({{ s }}.outcome_total, 0) as not_processed_rate,
        cast({{ s }}.carried_out as double) / nullif({{ s }}.received_new + {{ s }}.carried_in, 0) as backlog_rate,
        cast({{ s }}.received_new_natural_person as double) / nullif({{ s }}.received_new, 0) as natural_person_share,
        cast({{ s }}.received_new - {{ s }}.received_new_natural_person as double)
            / nullif({{ s }}.received_new, 0) as org_share,
        cast({{ s }}.received_new_org_legal_service as double) / nullif({{ s }}.received_new, 0) as legal_service_share,
        cast({{ s }}.not_processed_petition_complaint as double) / nullif({{ s }}.outcome_total, 0) as petition_share,
        {%- for reason in ['denied_state_secret', 'denied_prohibited_by_law', 'denied_security_stability', 'denied_third_party_rights', 'denied_internal_affairs', 'denied_process_info', 'denied_enforcement_file', 'denied_admin_query'] %}
        cast({{ s }}.{{ reason }} as double) / nullif({{ s }}.denied, 0) as {{ reason }}_share,
        {%- endfor %}
        cast({{ s }}.review_corrected as double)
            / nullif({{ s }}.review_total - {{ s }}.review_pending, 0) as review_correction_rate,
        cast({{ s }}.litigation_corrected as double)
            / nullif({{ s }}.litigation_total - {{ s }}.litigation_pending, 0) as litigation_correction_rate,
        cast({{ s }}.litigation_total as double) * 100 / nullif({{ s }}.decisions_with_t4, 0) as litigation_intensity
{% endmacro %}
