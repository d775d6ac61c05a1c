{#- The tap's tables, checked: a missing table stops the build with one line saying which
    setting to fix, not a bare "relation does not exist" from the warehouse. -#}
{% macro emailgistics_source(table) -%}
  {%- set relation = source('emailgistics', table) -%}
  {#- A unit test's source is its fixture CTE: nothing to look up. -#}
  {%- if execute and model.resource_type != 'unit_test' and adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
    {%- set plugin = 'dbt-' ~ target.type -%}
    {%- if table == 'received_message_detail' -%}
      {%- set hint = "select the tap's received_message_detail stream, or build without the message models: meltano config set "
          ~ plugin ~ " using_message_detail false (dbt alone: --vars '{emailgistics__using_message_detail: false}')" -%}
    {%- else -%}
      {%- set hint = "set source_schema to the schema the loader writes: meltano config set " ~ plugin
          ~ " source_schema <schema> (dbt alone: --vars '{emailgistics_schema: <schema>}'), or run the tap first" -%}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("tap-emailgistics table " ~ relation ~ " not found: " ~ hint) }}
  {%- endif -%}
  {{ return(relation) }}
{%- endmacro %}

{#- Whether the message-level models and tests are built: var('emailgistics__using_message_detail'),
    else EMAILGISTICS_USING_MESSAGE_DETAIL (the Meltano plugins' using_message_detail), else
    false, as the tap's received_message_detail stream is opt-in. -#}
{% macro using_message_detail() -%}
  {%- set value = var('emailgistics__using_message_detail',
                      env_var('EMAILGISTICS_USING_MESSAGE_DETAIL', 'false')) -%}
  {{ return(value | string | lower in ['true', '1', 'yes']) }}
{%- endmacro %}
