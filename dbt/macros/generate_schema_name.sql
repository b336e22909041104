{#- Use the folder's custom schema as is (raw, staging, intermediate, marts) instead of dbt's
    default "<target schema>_<custom>" so the DuckDB file reads like the layer diagram. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
