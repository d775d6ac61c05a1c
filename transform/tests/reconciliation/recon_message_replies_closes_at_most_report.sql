{{ config(enabled=using_message_detail()) }}
-- An inequality, not an identity: the reports also count initial replies and closes of the
-- conversations the mailbox started (outbound, ~8% in the sandbox), which have no message row.
-- So per final mailbox-day, first replies / closes seen in message detail <= the report's.
with days as (
    select * from {{ ref('stg_emailgistics__mailbox_performance') }}
    where period = 'day' and is_final
),
m as (
    select * from {{ ref('stg_emailgistics__received_message_detail') }}
),
replies as (
    select mailbox_id, cast({{ utc_to_local('first_replied_at_utc', 'time_zone') }} as date) as d, count(*) as n
    from m where first_replied_at_utc is not null
      and first_replied_at_utc < replies_complete_through_utc
    group by 1, 2
),
closes as (
    select mailbox_id, cast({{ utc_to_local('closed_at_utc', 'time_zone') }} as date) as d, count(*) as n
    from m where closed_at_utc is not null
      and closed_at_utc < closes_complete_through_utc
    group by 1, 2
)
select days.mailbox_id, days.local_date, days.initial_replies, r.n as message_first_replies,
       days.closed_total, c.n as message_closes
from days
left join replies as r on r.mailbox_id = days.mailbox_id and r.d = days.local_date
left join closes as c on c.mailbox_id = days.mailbox_id and c.d = days.local_date
where coalesce(r.n, 0) > days.initial_replies or coalesce(c.n, 0) > days.closed_total
