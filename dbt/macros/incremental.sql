{#
  The incremental fact models (fct_*, check_results): rows are one report's each, so a run rebuilds only the rows
  of the reports whose records changed since the last complete dbt build. The record builder lists them in
  records_meta.changed_reports (dagster_project/lib/warehouse/store.py: deleted, replaced and new report_ids);
  `gongkai run` builds with --full-refresh when the raw tables were rebuilt whole or the dbt project changed, and
  empties the list once every model is built. A pre-hook deletes the listed reports' rows, the model's query
  selects only theirs, both in the model's one transaction.
#}

{% macro changed_reports_relation() -%}
  records_meta.changed_reports
{%- endmacro %}

{% macro only_changed_reports(keyword='and', column='report_id') -%}
  {%- if is_incremental() -%}
    {{ keyword }} {{ column }} in (select report_id from {{ changed_reports_relation() }})
  {%- endif -%}
{%- endmacro %}

{% macro delete_changed_reports() -%}
  {%- if is_incremental() -%}
    delete from {{ this }} where report_id in (select report_id from {{ changed_reports_relation() }})
  {%- endif -%}
{%- endmacro %}

{% macro published_reports(extra_columns=[]) -%}
    select report_id, report_year, agency_name, template_version
        {%- for c in extra_columns %}, {{ c }}{% endfor %}
    from {{ ref('stg_raw__reports') }}
    where status = 'published' {{ only_changed_reports('and') }}
{%- endmacro %}
