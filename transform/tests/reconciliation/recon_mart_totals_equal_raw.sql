-- Nothing lost or doubled by the marts: for each report and each grain, the mart's totals
-- equal the raw table's day rows (read straight from the source, not from staging).
{%- set reports = [('mailbox_performance', 'mart_sla_mailbox'), ('user_performance', 'mart_sla_user'), ('domain_performance', 'mart_sla_domain')] %}
{%- set counts = [('received', 'received'), ('initial_replies', 'initialReplies'), ('inside_reply_sla', 'insideReplySla'), ('inside_closed_sla', 'insideClosedSla')] %}
{%- for stream, mart in reports %}
{%- for grain in ['day', 'week'] %}
select '{{ mart }}' as mart, '{{ grain }}' as grain, m.*, r.*
from (
    select {% for c, _ in counts %}sum({{ c }}) as mart_{{ c }}, {% endfor %}
           sum(closed_total) as mart_closed_total
    from {{ ref(mart) }} where time_grain = '{{ grain }}'
) as m
cross join (
    select {% for c, raw in counts %}sum({{ raw_column(raw) }}) as raw_{{ c }}, {% endfor %}
           sum(coalesce({{ raw_column('closedArchived') }}, 0) + coalesce({{ raw_column('closedDeleted') }}, 0) + coalesce({{ raw_column('closedJunk') }}, 0) + coalesce({{ raw_column('closedSentItems') }}, 0)) as raw_closed_total
    from {{ source('emailgistics', stream) }} where {{ raw_column('period') }} = 'day'
) as r
where {% for c, _ in counts %}coalesce(m.mart_{{ c }}, -1) <> coalesce(r.raw_{{ c }}, -1) or {% endfor %}
      coalesce(m.mart_closed_total, -1) <> coalesce(r.raw_closed_total, -1)
{%- if not loop.last %}
union all
{% endif %}
{%- endfor %}
{%- if not loop.last %}
union all
{% endif %}
{%- endfor %}
