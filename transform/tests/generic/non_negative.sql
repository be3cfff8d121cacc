{#- Counts, tokens and costs can be zero but never negative (nulls are allowed). -#}
{% test non_negative(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
