-- A week row is the sum of its day rows, and is final only if each of its days is.
with w as (select * from {{ ref('mart_sla_mailbox') }} where time_grain = 'week'),
d as (
    select mailbox_id, {{ week_start_of('period_start_date') }} as week_start,
           sum(received) as received, sum(initial_replies) as initial_replies,
           sum(closed_total) as closed_total, min(case when is_final then 1 else 0 end) as all_final
    from {{ ref('mart_sla_mailbox') }} where time_grain = 'day'
    group by 1, 2
)
select w.mailbox_id, w.period_start_date
from w join d on d.mailbox_id = w.mailbox_id and d.week_start = w.period_start_date
where w.received <> d.received or w.initial_replies <> d.initial_replies
   or w.closed_total <> d.closed_total or (w.is_final and d.all_final = 0)
