{{ config(enabled=using_message_detail()) }}
with messages as (
    select * from {{ emailgistics_source('received_message_detail') }}
),
watermarks as (
    select * from {{ ref('stg_emailgistics__finality_watermarks') }}
    where stream = 'received_message_detail'
)
select
    m."mailboxId"                                   as mailbox_id,
    m."messageId"                                   as message_id,
    m."conversationId"                              as conversation_id,
    m."status"                                      as status,
    m."ownerUserId"                                 as owner_user_id,
    lower(m."senderDomain")                         as sender_domain,
    m."timeZone"                                    as time_zone,
    m."receivedDateTime"                            as received_at_utc,
    {{ utc_to_local('m."receivedDateTime"', 'm."timeZone"') }} as received_at_local,
    cast({{ utc_to_local('m."receivedDateTime"', 'm."timeZone"') }} as date) as received_local_date,
    m."firstRepliedDateTime"                        as first_replied_at_utc,
    m."lastRepliedDateTime"                         as last_replied_at_utc,
    m."closedDateTime"                              as closed_at_utc,
    m."asOfUtc"                                     as as_of_utc,
    m."activityType"                                as last_sent_by_activity,
    m."isFinal"                                     as tap_is_final,
    -- Each activity's partition bookmark: every receipt / reply / close before it is in the table.
    w_rec.final_through_utc                         as receipts_complete_through_utc,
    w_rep.final_through_utc                         as replies_complete_through_utc,
    w_clo.final_through_utc                         as closes_complete_through_utc
from messages as m
left join watermarks as w_rec on w_rec.mailbox_id = m."mailboxId" and w_rec.period = 'received'
left join watermarks as w_rep on w_rep.mailbox_id = m."mailboxId" and w_rep.period = 'replied'
left join watermarks as w_clo on w_clo.mailbox_id = m."mailboxId" and w_clo.period = 'closed'
