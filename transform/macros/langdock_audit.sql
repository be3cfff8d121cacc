{#-
  A source table that may not exist: audit_logs is loaded only when its stream is selected
  (it is not by default). Returns the table's relation, or none when it is absent, so a model
  can fall back to an empty, typed select instead of failing every `dbt build`. source() is
  called either way, so the dependency stays in the lineage graph.
-#}
{% macro langdock_optional_source(source_name, table_name) %}
{%- set declared = source(source_name, table_name) -%}
{%- if not execute -%}
  {{ return(declared) }}
{%- endif -%}
{{ return(adapter.get_relation(
    database=declared.database, schema=declared.schema, identifier=declared.identifier)) }}
{% endmacro %}


{#- The type loaders give JSON objects: DuckDB's JSON, PostgreSQL's JSONB. -#}
{% macro langdock_type_json() %}
{{ return(adapter.dispatch('langdock_type_json')()) }}
{% endmacro %}

{% macro default__langdock_type_json() %}json{% endmacro %}

{% macro postgres__langdock_type_json() %}jsonb{% endmacro %}


{#-
  A date-time column as a UTC timestamp without zone, whatever the loader made of it:
  text in ISO 8601 (the tap's "2026-05-04T09:12:33.120000+00:00") or a timestamp with time
  zone are converted; a timestamp without zone is taken to be UTC already.
-#}
{% macro langdock_utc_timestamp(relation, column_name) %}
{%- set kind = [] -%}
{%- if execute -%}
  {%- for column in adapter.get_columns_in_relation(relation) -%}
    {%- if column.name | lower == column_name -%}{%- do kind.append(column.data_type | lower) -%}{%- endif -%}
  {%- endfor -%}
{%- endif -%}
{%- set data_type = kind[0] if kind else 'text' -%}
{%- if data_type == 'timestamp' or 'without time zone' in data_type -%}
cast({{ column_name }} as {{ dbt.type_timestamp() }})
{%- elif 'with time zone' in data_type or data_type == 'timestamptz' -%}
({{ column_name }} at time zone 'UTC')
{%- else -%}
(cast({{ column_name }} as timestamp with time zone) at time zone 'UTC')
{%- endif -%}
{% endmacro %}


{#- The local calendar date of a UTC timestamp (without zone) in an IANA time zone. -#}
{% macro langdock_local_date(column_name, zone) %}
cast(({{ column_name }} at time zone 'UTC') at time zone '{{ zone }}' as date)
{% endmacro %}
