{#- The few places where PostgreSQL and DuckDB differ, behind adapter.dispatch.
    Everything else uses ANSI SQL or dbt's own cross-database macros
    (dbt.datediff, dbt.date_trunc, dbt.dateadd, dbt.type_*). -#}

{#- A naive UTC timestamp (both loaders store date-time as TIMESTAMP without zone, in UTC)
    as naive wall-clock time in the IANA zone held by tz_expr. -#}
{% macro utc_to_local(ts_expr, tz_expr) -%}
  {{ return(adapter.dispatch('utc_to_local')(ts_expr, tz_expr)) }}
{%- endmacro %}

{% macro postgres__utc_to_local(ts_expr, tz_expr) -%}
  (({{ ts_expr }}) at time zone 'UTC') at time zone ({{ tz_expr }})
{%- endmacro %}

{% macro duckdb__utc_to_local(ts_expr, tz_expr) -%}
  {#- DuckDB's ICU timezone(): naive -> timestamptz read as UTC, then -> local naive. -#}
  timezone({{ tz_expr }}, timezone('UTC', {{ ts_expr }}))
{%- endmacro %}

{% macro default__utc_to_local(ts_expr, tz_expr) -%}
  {{ exceptions.raise_compiler_error("utc_to_local: no implementation for " ~ target.type) }}
{%- endmacro %}

{#- Minutes between two timestamps, with fractions (dbt.datediff counts whole units). -#}
{% macro minutes_between(start_expr, end_expr) -%}
  ({{ dbt.datediff(start_expr, end_expr, 'second') }} / 60.0)
{%- endmacro %}

{#- DOUBLE on both (dbt.type_float() is FLOAT, which DuckDB reads as 4-byte REAL). -#}
{% macro type_double() -%}
  {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}
{% macro default__type_double() %}double precision{% endmacro %}
{% macro duckdb__type_double() %}double{% endmacro %}

{#- The column if the loader created it, else a typed NULL: target-postgres adds the _sdc_*
    columns (add_record_metadata), target-duckdb with add_metadata_columns: false does not. -#}
{% macro column_or_null(relation, column_name, data_type) -%}
  {%- set found = false -%}
  {%- if execute -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- set found = column_name | lower in names -%}
  {%- endif -%}
  {%- if found -%}{{ adapter.quote(column_name) }}{%- else -%}cast(null as {{ data_type }}){%- endif -%}
{%- endmacro %}

{#- Local calendar date of a mailbox-local wall-clock text 'YYYY-MM-DDTHH:MM:SS'. -#}
{% macro local_date_of(text_expr) -%}
  cast(substr({{ text_expr }}, 1, 10) as date)
{%- endmacro %}

{#- Monday of the ISO week of a date (the API's and the sandbox's weeks start on Monday). -#}
{% macro week_start_of(date_expr) -%}
  cast({{ dbt.date_trunc('week', date_expr) }} as date)
{%- endmacro %}

{#- numerator / denominator, NULL when the denominator is 0 or NULL (not in dbt-core: dbt_utils). -#}
{% macro safe_divide(numerator, denominator) -%}
  (({{ numerator }}) / nullif({{ denominator }}, 0))
{%- endmacro %}
