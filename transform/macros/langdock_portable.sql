{#-
  The only places where the four warehouses (DuckDB, PostgreSQL, Snowflake, BigQuery) need
  different SQL. Models call these and never write a type name, a time-zone conversion or a
  set operator that one of them rejects; tests/warehouse/test_dbt_portability.py checks that
  (docs/warehouse-dialects.md has the rules and where they come from).
-#}

{#- A 64-bit float. BigQuery has no DOUBLE PRECISION; Snowflake's FLOAT is 64-bit already. -#}
{% macro langdock_type_float() %}
{{- return(adapter.dispatch('langdock_type_float')()) -}}
{% endmacro %}

{% macro default__langdock_type_float() %}double precision{% endmacro %}
{% macro snowflake__langdock_type_float() %}float{% endmacro %}
{% macro bigquery__langdock_type_float() %}float64{% endmacro %}


{#- A 64-bit integer and a boolean: BigQuery spells them INT64 and BOOL. -#}
{% macro langdock_type_bigint() %}
{{- return(adapter.dispatch('langdock_type_bigint')()) -}}
{% endmacro %}

{% macro default__langdock_type_bigint() %}bigint{% endmacro %}
{% macro bigquery__langdock_type_bigint() %}int64{% endmacro %}

{% macro langdock_type_boolean() %}
{{- return(adapter.dispatch('langdock_type_boolean')()) -}}
{% endmacro %}

{% macro default__langdock_type_boolean() %}boolean{% endmacro %}
{% macro bigquery__langdock_type_boolean() %}bool{% endmacro %}


{#-
  `union` without duplicates: BigQuery requires ALL or DISTINCT after UNION; Snowflake
  documents only `UNION [ALL]` (its UNION removes duplicates), so it keeps the bare word.
-#}
{% macro langdock_union_distinct() %}
{{- return(adapter.dispatch('langdock_union_distinct')()) -}}
{% endmacro %}

{% macro default__langdock_union_distinct() %}union{% endmacro %}
{% macro bigquery__langdock_union_distinct() %}union distinct{% endmacro %}


{#-
  True when compiling without a warehouse (`--vars '{langdock_offline_compile: true}'`): the
  macros that ask the warehouse about a table (its columns, whether it exists) then assume
  what the loaders create, so `dbt compile` sends no query. The portability check
  (tests/warehouse/test_dbt_portability.py) compiles this way for all four adapters;
  `langdock_offline_column_type` names the type the loader gives date-time columns.
-#}
{% macro langdock_offline() %}
{{- return(var('langdock_offline_compile', false)) -}}
{% endmacro %}
