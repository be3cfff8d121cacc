{#-
  A source table that may not exist: audit_logs is loaded only when its stream is selected
  (it is not by default). Returns the table's relation, or none when it is absent, so a model
  can fall back to an empty, typed select instead of failing every `dbt build`. source() is
  called either way, so the dependency stays in the lineage graph.
-#}
{% macro langdock_optional_source(source_name, table_name) %}
{%- set declared = source(source_name, table_name) -%}
{%- if not execute or langdock_offline() -%}
  {{ return(declared) }}
{%- endif -%}
{{ return(adapter.get_relation(
    database=declared.database, schema=declared.schema, identifier=declared.identifier)) }}
{% endmacro %}


{#-
  The type loaders give JSON objects: DuckDB's JSON, PostgreSQL's JSONB, Snowflake's VARIANT,
  BigQuery's JSON.
-#}
{% macro langdock_type_json() %}
{{ return(adapter.dispatch('langdock_type_json')()) }}
{% endmacro %}

{% macro default__langdock_type_json() %}json{% endmacro %}

{% macro postgres__langdock_type_json() %}jsonb{% endmacro %}

{% macro snowflake__langdock_type_json() %}variant{% endmacro %}


{#- The lower-cased type the warehouse reports for a column of ``relation`` ('' if unknown). -#}
{% macro langdock_column_type(relation, column_name) %}
{%- if langdock_offline() -%}
  {{ return(var('langdock_offline_column_type', '') | lower) }}
{%- endif -%}
{%- set kind = [] -%}
{%- if execute -%}
  {%- for column in adapter.get_columns_in_relation(relation) -%}
    {%- if column.name | lower == column_name -%}{%- do kind.append(column.data_type | lower) -%}{%- endif -%}
  {%- endfor -%}
{%- endif -%}
{{ return(kind[0] if kind else '') }}
{% endmacro %}


{#-
  A date-time column as a UTC timestamp without zone (BigQuery: its TIMESTAMP, which is UTC),
  whatever the loader made of it: text in ISO 8601 (the tap's
  "2026-05-04T09:12:33.120000+00:00") or a timestamp with time zone are converted; a timestamp
  without zone is taken to be UTC already.
-#}
{% macro langdock_utc_timestamp(relation, column_name) %}
{{- return(adapter.dispatch('langdock_utc_timestamp')(relation, column_name)) -}}
{% endmacro %}

{% macro default__langdock_utc_timestamp(relation, column_name) %}
{%- set data_type = langdock_column_type(relation, column_name) or 'text' -%}
{%- if data_type == 'timestamp' or 'without time zone' in data_type -%}
cast({{ column_name }} as {{ dbt.type_timestamp() }})
{%- elif 'with time zone' in data_type or data_type == 'timestamptz' -%}
({{ column_name }} at time zone 'UTC')
{%- else -%}
(cast({{ column_name }} as timestamp with time zone) at time zone 'UTC')
{%- endif -%}
{% endmacro %}

{% macro snowflake__langdock_utc_timestamp(relation, column_name) %}
{%- set data_type = langdock_column_type(relation, column_name) -%}
{%- if data_type.startswith('timestamp_ntz') or data_type == 'datetime' -%}
cast({{ column_name }} as timestamp_ntz)
{%- elif data_type.startswith('timestamp') -%}
cast(convert_timezone('UTC', {{ column_name }}) as timestamp_ntz)
{%- else -%}
cast(convert_timezone('UTC', to_timestamp_tz({{ column_name }})) as timestamp_ntz)
{%- endif -%}
{% endmacro %}

{% macro bigquery__langdock_utc_timestamp(relation, column_name) %}
{%- set data_type = langdock_column_type(relation, column_name) -%}
{%- if data_type == 'timestamp' -%}
{{ column_name }}
{%- else -%}
{#- DATETIME (no zone) is UTC already; ISO 8601 text carries its offset. -#}
timestamp({{ column_name }})
{%- endif -%}
{% endmacro %}


{#- The local calendar date of a UTC timestamp (without zone) in an IANA time zone. -#}
{% macro langdock_local_date(column_name, zone) %}
{{- return(adapter.dispatch('langdock_local_date')(column_name, zone)) -}}
{% endmacro %}

{% macro default__langdock_local_date(column_name, zone) %}
cast(({{ column_name }} at time zone 'UTC') at time zone '{{ zone }}' as date)
{% endmacro %}

{% macro snowflake__langdock_local_date(column_name, zone) %}
cast(convert_timezone('UTC', '{{ zone }}', {{ column_name }}) as date)
{% endmacro %}

{% macro bigquery__langdock_local_date(column_name, zone) %}
date({{ column_name }}, '{{ zone }}')
{% endmacro %}
