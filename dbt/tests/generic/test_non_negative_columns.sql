{#- Counts are integers >= 0 (domain.md T3.H5, T4.H2), for several columns in one query; null passes. -#}
{% test non_negative_columns(model, columns) %}
select *
from {{ model }}
where {% for c in columns %}{{ c }} < 0{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
