{{ config(enabled=using_message_detail()) }}
-- The per-message SLA verdicts agree with the reports' own counts: per final mailbox-day,
-- messages first replied that day and 'met' <= insideReplySla, and 'breached' <=
-- initialReplies - insideReplySla (likewise closes against insideClosedSla). Inequalities:
-- the reports also count replies to outbound conversations and to messages received
-- before the extracted range, which have no message row. A failure means the mart's SLA
-- (reply_sla_minutes / close_sla_minutes / sla_minutes_by_mailbox) is not the one
-- Emailgistics counts by, or a verdict is computed wrongly.
with days as (
    select * from {{ ref('stg_emailgistics__mailbox_performance') }}
    where period = 'day' and is_final
),
verdicts as (
    select sla.*, m.replies_complete_through_utc, m.closes_complete_through_utc
    from {{ ref('mart_message_sla') }} as sla
    join {{ ref('stg_emailgistics__received_message_detail') }} as m
      on m.mailbox_id = sla.mailbox_id and m.message_id = sla.message_id
),
replies as (
    select mailbox_id, first_replied_local_date as d,
           sum(case when reply_sla_status = 'met' then 1 else 0 end) as met,
           sum(case when reply_sla_status = 'breached' then 1 else 0 end) as breached
    from verdicts
    where first_replied_at_utc < replies_complete_through_utc
    group by 1, 2
),
closes as (
    select mailbox_id, closed_local_date as d,
           sum(case when close_sla_status = 'met' then 1 else 0 end) as met,
           sum(case when close_sla_status = 'breached' then 1 else 0 end) as breached
    from verdicts
    where closed_at_utc < closes_complete_through_utc
    group by 1, 2
)
select days.mailbox_id, days.local_date,
       days.initial_replies, days.inside_reply_sla, r.met as replies_met, r.breached as replies_breached,
       days.closed_total, days.inside_closed_sla, c.met as closes_met, c.breached as closes_breached
from days
left join replies as r on r.mailbox_id = days.mailbox_id and r.d = days.local_date
left join closes as c on c.mailbox_id = days.mailbox_id and c.d = days.local_date
where coalesce(r.met, 0) > days.inside_reply_sla
   or coalesce(r.breached, 0) > days.initial_replies - days.inside_reply_sla
   or coalesce(c.met, 0) > days.inside_closed_sla
   or coalesce(c.breached, 0) > days.closed_total - days.inside_closed_sla
