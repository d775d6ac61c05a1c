{{ config(enabled=using_message_detail()) }}
{#- Each mailbox's SLA: its entry in var('sla_minutes_by_mailbox'), else the project's. -#}
{%- set reply_sla = sla_minutes('reply', 'reply_sla_minutes') %}
{%- set close_sla = sla_minutes('close', 'close_sla_minutes') %}
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
    cast({{ utc_to_local('first_replied_at_utc', 'time_zone') }} as date) as first_replied_local_date,
    cast({{ utc_to_local('closed_at_utc', 'time_zone') }} as date)        as closed_local_date,
    minutes_to_first_reply,
    minutes_to_close,
    {{ reply_sla }} as reply_sla_minutes,
    {{ close_sla }} as close_sla_minutes,
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
