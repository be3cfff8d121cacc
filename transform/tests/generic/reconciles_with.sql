{#-
  The model holds exactly the rows and totals of another model: same row count and, for each
  pair of columns given, the same sum. Fails with one row describing the difference.
  sums: list of [column in this model, column in the other model]
-#}
{% test reconciles_with(model, compare_model, sums=[], compare_rows=true, where=none) %}
with this_side as (
    select
        count(*) as row_count
        {%- for pair in sums %}, coalesce(sum({{ pair[0] }}), 0) as sum_{{ loop.index }}{% endfor %}
    from {{ model }}
),
other_side as (
    select
        count(*) as row_count
        {%- for pair in sums %}, coalesce(sum({{ pair[1] }}), 0) as sum_{{ loop.index }}{% endfor %}
    from {{ compare_model }}
    {%- if where %} where {{ where }}{% endif %}
)
select
    this_side.row_count as model_rows,
    other_side.row_count as compare_rows
    {%- for pair in sums %},
    this_side.sum_{{ loop.index }} as model_{{ pair[0] }},
    other_side.sum_{{ loop.index }} as compare_{{ pair[1] }}
    {%- endfor %}
from this_side
cross join other_side
where 1 = 0
{%- if compare_rows %} or this_side.row_count <> other_side.row_count{% endif %}
{%- for pair in sums %} or this_side.sum_{{ loop.index }} <> other_side.sum_{{ loop.index }}{% endfor %}
{% endtest %}
