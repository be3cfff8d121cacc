{#-
  A continuous percentile as an aggregate (used with group by): the median and p95 duration
  of workflow runs. Each warehouse spells it differently; BigQuery has no ordered-set
  aggregate, so it uses approx_quantiles (an approximation, to about 1 % of the rank).
-#}
{% macro langdock_percentile(column_name, fraction) %}
{{ return(adapter.dispatch('langdock_percentile')(column_name, fraction)) }}
{% endmacro %}

{% macro default__langdock_percentile(column_name, fraction) -%}
percentile_cont({{ fraction }}) within group (order by {{ column_name }})
{%- endmacro %}

{% macro duckdb__langdock_percentile(column_name, fraction) -%}
quantile_cont({{ column_name }}, {{ fraction }})
{%- endmacro %}

{% macro postgres__langdock_percentile(column_name, fraction) -%}
percentile_cont({{ fraction }}) within group (order by {{ column_name }})
{%- endmacro %}

{% macro snowflake__langdock_percentile(column_name, fraction) -%}
percentile_cont({{ fraction }}) within group (order by {{ column_name }})
{%- endmacro %}

{% macro bigquery__langdock_percentile(column_name, fraction) -%}
approx_quantiles({{ column_name }}, 100)[offset({{ (fraction * 100) | round | int }})]
{%- endmacro %}


{#-
  A boolean column as loaders store it (a boolean, or text 'true'/'false' when a loader
  widened it): true, false or null.
-#}
{% macro langdock_boolean(column_name) -%}
case
    when lower(cast({{ column_name }} as {{ dbt.type_string() }})) in ('true', 't', '1') then true
    when lower(cast({{ column_name }} as {{ dbt.type_string() }})) in ('false', 'f', '0') then false
end
{%- endmacro %}

{# A double-precision float on every warehouse: dbt's type_float() is FLOAT, which DuckDB
   stores in 4 bytes (a cost of 4.1005 came back as 4.1005001); the others' FLOAT is 8. #}
{% macro langdock_double() %}
    {{ return(adapter.dispatch('langdock_double')()) }}
{% endmacro %}

{% macro default__langdock_double() %}{{ dbt.type_float() }}{% endmacro %}

{% macro duckdb__langdock_double() %}double{% endmacro %}
