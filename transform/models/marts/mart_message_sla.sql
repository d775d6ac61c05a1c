{%- set reply_sla = var('reply_sla_minutes') %}
{%- set close_sla = var('close_sla_minutes') %}
with messages as (
    select * from {{ ref('stg_emailgistics__received_message_detail') }}
),
timed as (
    select
        messages.*,
        {{ week_start_of('received_local_date') }}                     as received_local_week_start,
        {{ minutes_between('received_at_utc', 'first_replied_at_utc') }} as minutes_to_first_reply,
        {{ minutes_between('received_at_utc', 'closed_at_utc') }}        as minutes_to_close,
        -- how long an unanswered / unclosed message has waited, as far as the table knows:
        -- up to the replied / closed partition's watermark (no later activity is missing before it)
        {{ minutes_between('received_at_utc', 'replies_complete_through_utc') }} as minutes_waited_for_reply,
        {{ minutes_between('received_at_utc', 'closes_complete_through_utc') }}  as minutes_waited_for_close
    from messages
)
select
    mailbox_id, message_id, conversation_id, sender_domain, owner_user_id, status, time_zone,
    received_at_utc, received_at_local, received_local_date, received_local_week_start,
    first_replied_at_utc, closed_at_utc, as_of_utc,
    minutes_to_first_reply,
    minutes_to_close,
    case
        when first_replied_at_utc is not null then
            case when minutes_to_first_reply < {{ reply_sla }} then 'met' else 'breached' end
        when minutes_waited_for_reply >= {{ reply_sla }} then 'breached'
        else 'pending'
    end as reply_sla_status,
    case
        when closed_at_utc is not null then
            case when minutes_to_close < {{ close_sla }} then 'met' else 'breached' end
        when minutes_waited_for_close >= {{ close_sla }} then 'breached'
        else 'pending'
    end as close_sla_status
from timed
