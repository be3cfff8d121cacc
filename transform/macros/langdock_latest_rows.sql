{#-
  One row per primary key, keeping the most recently loaded one.

  The loaders in meltano.yml upsert on the key, so the raw tables normally hold one row per key
  already; this makes staging correct anyway (append-only loads, a key loaded twice by two
  pipelines). "Most recent" uses the loader's metadata columns when the table has them
  (_sdc_batched_at, then _sdc_extracted_at, _sdc_received_at and _sdc_sequence); without any,
  an arbitrary row per key is kept.
-#}
{% macro langdock_latest_rows(relation, key_columns) %}
{%- set order_by = [] -%}
{%- if execute -%}
  {%- set names = langdock_column_names(relation) -%}
  {%- for column in ['_sdc_batched_at', '_sdc_extracted_at', '_sdc_received_at', '_sdc_sequence'] -%}
    {%- if column in names -%}
      {%- do order_by.append(column ~ ' desc nulls last') -%}
    {%- endif -%}
  {%- endfor -%}
{%- endif -%}
{%- if not order_by -%}{%- do order_by.append('1') -%}{%- endif %}
select *
from (
    select
        loaded.*,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by {{ order_by | join(', ') }}
        ) as _langdock_row_number
    from {{ relation }} as loaded
) as ranked
where _langdock_row_number = 1
{% endmacro %}


{#- When the loader stamped the row (null when the table has no loader metadata). -#}
{% macro langdock_loaded_at(relation) %}
{%- set found = [] -%}
{%- if execute -%}
  {%- set names = langdock_column_names(relation) -%}
  {%- for column in ['_sdc_batched_at', '_sdc_received_at', '_sdc_extracted_at'] -%}
    {%- if column in names -%}{%- do found.append(column) -%}{%- endif -%}
  {%- endfor -%}
{%- endif -%}
{%- if found -%}
cast({{ found[0] }} as {{ dbt.type_timestamp() }})
{%- else -%}
cast(null as {{ dbt.type_timestamp() }})
{%- endif -%}
{% endmacro %}


{#- The lower-cased column names of ``relation`` (offline: the loader metadata columns only). -#}
{% macro langdock_column_names(relation) %}
{%- if langdock_offline() -%}
  {{ return(['_sdc_batched_at', '_sdc_extracted_at']) }}
{%- endif -%}
{{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list) }}
{% endmacro %}


{#-
  A text column the loaded table may lack, or null. The Workflow API names no workspace: the
  tap stamps its workspace_id setting on workflows and workflow_runs records, and tables
  loaded without that setting have no such column; then it is null ("not known"), never a
  guess.
-#}
{% macro langdock_optional_text(relation, column_name) %}
{%- if execute and column_name in langdock_column_names(relation) -%}
cast({{ column_name }} as {{ dbt.type_string() }})
{%- else -%}
cast(null as {{ dbt.type_string() }})
{%- endif -%}
{% endmacro %}
