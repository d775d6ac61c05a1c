{{ config(enabled=using_message_detail()) }}
-- Per final mailbox-day: messages received that local day in received_message_detail ==
-- `received` of mailbox_performance. Checked only where the message stream's `received`
-- partition is complete past the day (its watermark >= the day report's watermark).
-- Holds in the sandbox (docs/message-detail.md; outbound "initiated" messages have no row
-- and are not counted in `received` either).
with days as (
    select * from {{ ref('stg_emailgistics__mailbox_performance') }}
    where period = 'day' and is_final
),
receipt_watermark as (
    select mailbox_id, final_through_utc
    from {{ ref('stg_emailgistics__finality_watermarks') }}
    where stream = 'received_message_detail' and period = 'received'
),
messages as (
    select mailbox_id, received_local_date, count(*) as n
    from {{ ref('stg_emailgistics__received_message_detail') }}
    group by mailbox_id, received_local_date
)
select d.mailbox_id, d.local_date, d.received, coalesce(m.n, 0) as messages
from days as d
join receipt_watermark as w
  on w.mailbox_id = d.mailbox_id and w.final_through_utc >= d.final_through_utc
left join messages as m
  on m.mailbox_id = d.mailbox_id and m.received_local_date = d.local_date
where d.received <> coalesce(m.n, 0)
