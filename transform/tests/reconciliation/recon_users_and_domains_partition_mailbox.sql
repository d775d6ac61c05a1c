-- The user rows (with 'unknown') and the domain rows each split the mailbox's activity:
-- per mailbox-day every count sums to the mailbox's, and the weighted averages recombine to the
-- mailbox's within the API's rounding (averages are rounded to 0.1).
{%- set tol = var('average_tolerance') %}
{%- set parts = [('user', 'mart_sla_user'), ('domain', 'mart_sla_domain')] %}
with mailbox as (
    select * from {{ ref('mart_sla_mailbox') }}
),
{%- for name, model in parts %}
{{ name }}_sums as (
    select mailbox_id, time_grain, period_start_date,
        sum(received) as received, sum(initiated) as initiated,
        sum(initial_replies) as initial_replies, sum(additional_replies) as additional_replies,
        sum(inside_reply_sla) as inside_reply_sla, sum(closed_total) as closed_total,
        sum(inside_closed_sla) as inside_closed_sla,
        {{ weighted_avg('avg_business_initial_reply_minutes', 'initial_replies') }} as avg_business_initial_reply_minutes,
        {{ weighted_avg('avg_elapsed_initial_reply_minutes', 'initial_replies') }} as avg_elapsed_initial_reply_minutes,
        {{ weighted_avg('avg_business_close_minutes', 'closed_total') }} as avg_business_close_minutes,
        {{ weighted_avg('avg_elapsed_close_minutes', 'closed_total') }} as avg_elapsed_close_minutes
    from {{ ref(model) }}
    where time_grain = 'day'
    group by 1, 2, 3
),
{%- endfor %}
mismatches as (
{%- for name, model in parts %}
    select '{{ name }}' as part, mb.mailbox_id, mb.period_start_date
    from mailbox as mb
    left join {{ name }}_sums as p
      on p.mailbox_id = mb.mailbox_id and p.time_grain = mb.time_grain
     and p.period_start_date = mb.period_start_date
    where mb.time_grain = 'day' and mb.is_final and (
        {%- for c in ['received', 'initiated', 'initial_replies', 'additional_replies', 'inside_reply_sla', 'closed_total', 'inside_closed_sla'] %}
        coalesce(p.{{ c }}, 0) <> coalesce(mb.{{ c }}, 0) or
        {%- endfor %}
        {%- for c in ['avg_business_initial_reply_minutes', 'avg_elapsed_initial_reply_minutes', 'avg_business_close_minutes', 'avg_elapsed_close_minutes'] %}
        abs(coalesce(p.{{ c }}, 0) - coalesce(mb.{{ c }}, 0)) > {{ tol }} or
        {%- endfor %}
        (p.avg_business_initial_reply_minutes is null) <> (mb.avg_business_initial_reply_minutes is null)
    )
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
)
select * from mismatches
