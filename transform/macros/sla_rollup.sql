{#- Day and week rows of one report's day rows, counts summed and averages recombined with
    their weights: reply-time averages per initial reply, close-time averages per close
    (closed_total); a NULL average (no replies/closes) carries no weight. -#}
{% macro weighted_avg(avg_col, weight_col) -%}
  {{ safe_divide('sum(' ~ avg_col ~ ' * ' ~ weight_col ~ ')',
                     'sum(case when ' ~ avg_col ~ ' is not null then ' ~ weight_col ~ ' end)') }}
{%- endmacro %}

{% macro sla_rollup(staging_model, dims, user_averages=false) -%}
{%- set dim_list = dims | join(', ') %}
with days as (
    select * from {{ ref(staging_model) }}
    where period = 'day'
),
{%- for grain in ['day', 'week'] %}
{{ grain }}_rows as (
    select
        {{ dim_list }},
        '{{ grain }}' as time_grain,
        {{ 'local_date' if grain == 'day' else 'local_week_start' }} as period_start_date,
        count(distinct local_date) as days_with_rows,
        {%- if grain == 'day' %}
        min(case when is_final then 1 else 0 end) = 1 as is_final,
        {%- else %}
        -- a week is final when each of its days is and its last day lies before the watermark
        min(case when is_final then 1 else 0 end) = 1
          and max(final_through_local_date) >= cast({{ dbt.dateadd('day', 7, 'local_week_start') }} as date) as is_final,
        {%- endif %}
        sum(received)            as received,
        sum(initiated)           as initiated,
        sum(initial_replies)     as initial_replies,
        sum(additional_replies)  as additional_replies,
        sum(inside_reply_sla)    as inside_reply_sla,
        sum(closed_total)        as closed_total,
        sum(inside_closed_sla)   as inside_closed_sla,
        {%- if user_averages %}
        {{ weighted_avg('avg_user_initial_reply_minutes', 'initial_replies') }} as avg_user_initial_reply_minutes,
        {{ weighted_avg('avg_user_close_minutes', 'closed_total') }} as avg_user_close_minutes,
        {%- endif %}
        {{ weighted_avg('avg_business_initial_reply_minutes', 'initial_replies') }} as avg_business_initial_reply_minutes,
        {{ weighted_avg('avg_elapsed_initial_reply_minutes', 'initial_replies') }} as avg_elapsed_initial_reply_minutes,
        {{ weighted_avg('avg_business_close_minutes', 'closed_total') }} as avg_business_close_minutes,
        {{ weighted_avg('avg_elapsed_close_minutes', 'closed_total') }} as avg_elapsed_close_minutes
    from days
    group by {{ dim_list }}, {{ 'local_date' if grain == 'day' else 'local_week_start' }}
),
{%- endfor %}
unioned as (
    select * from day_rows
    union all
    select * from week_rows
)
select
    unioned.*,
    case when is_final then 'final' else 'provisional' end as period_status,
    {{ safe_divide('cast(inside_reply_sla as ' ~ type_double() ~ ')', 'initial_replies') }} as reply_sla_rate,
    {{ safe_divide('cast(inside_closed_sla as ' ~ type_double() ~ ')', 'closed_total') }}   as close_sla_rate
from unioned
{%- endmacro %}

{#- A mailbox's SLA in minutes, as SQL: var('sla_minutes_by_mailbox') maps mailbox ids to
    {reply: minutes, close: minutes}; a mailbox not in it (or without that key) gets
    var(default_var). -#}
{% macro sla_minutes(kind, default_var) -%}
  {%- set by_mailbox = var('sla_minutes_by_mailbox', {}) -%}
  {%- set overrides = [] -%}
  {%- for mailbox_id, minutes in by_mailbox.items() if minutes.get(kind) is not none -%}
    {%- do overrides.append((mailbox_id, minutes[kind])) -%}
  {%- endfor -%}
  {%- if overrides -%}
  (case mailbox_id {% for mailbox_id, minutes in overrides -%}
     when '{{ mailbox_id | replace("'", "''") }}' then {{ minutes | float }} {% endfor -%}
     else {{ var(default_var) | float }} end)
  {%- else -%}
  {{ var(default_var) | float }}
  {%- endif -%}
{%- endmacro %}
