{#- Several columns are never null: one query instead of one `not_null` test per column
    (each dbt test is a node with ~0.1 s of overhead; issue 3 budgets the run at 60 s). -#}
{% test not_null_columns(model, columns) %}
select *
from {{ model }}
where {% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
