{#- The grain test: no two rows share the same values of `combination_of_columns`.
    Written here because dbt_utils cannot be fetched offline (TOOLCHAIN.md P9). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
