{#- The few places where PostgreSQL, DuckDB and Snowflake differ, behind adapter.dispatch.
    Everything else uses ANSI SQL or dbt's own cross-database macros
    (dbt.datediff, dbt.date_trunc, dbt.dateadd, dbt.type_*). -#}

{#- A loader's column, by the tap's (camelCase) name. target-postgres keeps the name as sent
    (quoted: "mailboxId"); target-duckdb lower-cases it, and DuckDB resolves any case;
    target-snowflake creates it unquoted, so Snowflake stored it folded to upper case
    (MAILBOXID), and a quoted "mailboxId" would name no column there. -#}
{% macro raw_column(name) -%}
  {{ return(adapter.dispatch('raw_column')(name)) }}
{%- endmacro %}
{% macro default__raw_column(name) -%}{{ adapter.quote(name) }}{%- endmacro %}
{% macro snowflake__raw_column(name) -%}{{ adapter.quote(name | upper) }}{%- endmacro %}

{#- A naive UTC timestamp (the loaders store date-time as TIMESTAMP without zone, in UTC)
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

{% macro snowflake__utc_to_local(ts_expr, tz_expr) -%}
  {#- The three-argument form: a TIMESTAMP_NTZ read in the source zone, TIMESTAMP_NTZ out. -#}
  convert_timezone('UTC', {{ tz_expr }}, {{ ts_expr }})
{%- endmacro %}

{% macro default__utc_to_local(ts_expr, tz_expr) -%}
  {{ exceptions.raise_compiler_error("utc_to_local: no implementation for " ~ target.type) }}
{%- endmacro %}

{#- Minutes between two timestamps, with fractions (dbt.datediff counts whole units). -#}
{% macro minutes_between(start_expr, end_expr) -%}
  ({{ dbt.datediff(start_expr, end_expr, 'second') }} / 60.0)
{%- endmacro %}

{#- An 8-byte float (dbt.type_float() is FLOAT, which DuckDB reads as 4-byte REAL; Snowflake's
    FLOAT is 8 bytes, and the name its catalog shows for DOUBLE too). -#}
{% macro type_double() -%}
  {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}
{% macro default__type_double() %}double precision{% endmacro %}
{% macro duckdb__type_double() %}double{% endmacro %}
{% macro snowflake__type_double() %}float{% endmacro %}

{#- The column if the loader created it, else a typed NULL: target-postgres and
    target-snowflake add the _sdc_* columns (add_record_metadata), target-duckdb with
    add_metadata_columns: false does not. Quoted as the catalog names it (_SDC_DELETED_AT on
    Snowflake). -#}
{% macro column_or_null(relation, column_name, data_type) -%}
  {%- set found = [] -%}
  {%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
      {%- if column.name | lower == column_name | lower -%}{%- do found.append(column.name) -%}{%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if found -%}{{ adapter.quote(found[0]) }}{%- else -%}cast(null as {{ data_type }}){%- endif -%}
{%- endmacro %}

{#- Local calendar date of a mailbox-local wall-clock text 'YYYY-MM-DDTHH:MM:SS'. -#}
{% macro local_date_of(text_expr) -%}
  cast(substr({{ text_expr }}, 1, 10) as date)
{%- endmacro %}

{#- Monday of the ISO week of a date (the API's and the sandbox's weeks start on Monday). -#}
{% macro week_start_of(date_expr) -%}
  {{ return(adapter.dispatch('week_start_of')(date_expr)) }}
{%- endmacro %}
{% macro default__week_start_of(date_expr) -%}
  cast({{ dbt.date_trunc('week', date_expr) }} as date)
{%- endmacro %}
{% macro snowflake__week_start_of(date_expr) -%}
  {#- Not date_trunc('week', …): on Snowflake its first day follows the session's WEEK_START
      parameter, which an account may set to other than Monday; DAYOFWEEKISO does not. -#}
  cast({{ dbt.dateadd('day', '1 - dayofweekiso(' ~ date_expr ~ ')', date_expr) }} as date)
{%- endmacro %}

{#- numerator / denominator, NULL when the denominator is 0 or NULL (not in dbt-core: dbt_utils). -#}
{% macro safe_divide(numerator, denominator) -%}
  (({{ numerator }}) / nullif({{ denominator }}, 0))
{%- endmacro %}
