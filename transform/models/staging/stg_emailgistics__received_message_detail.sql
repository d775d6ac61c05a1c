{{ config(enabled=using_message_detail()) }}
with messages as (
    select * from {{ emailgistics_source('received_message_detail') }}
),
watermarks as (
    select * from {{ ref('stg_emailgistics__finality_watermarks') }}
    where stream = 'received_message_detail'
)
select
    m.{{ raw_column('mailboxId') }}                 as mailbox_id,
    m.{{ raw_column('messageId') }}                 as message_id,
    m.{{ raw_column('conversationId') }}            as conversation_id,
    m.{{ raw_column('status') }}                    as status,
    m.{{ raw_column('ownerUserId') }}               as owner_user_id,
    lower(m.{{ raw_column('senderDomain') }})       as sender_domain,
    m.{{ raw_column('timeZone') }}                  as time_zone,
    m.{{ raw_column('receivedDateTime') }}          as received_at_utc,
    {{ utc_to_local('m.' ~ raw_column('receivedDateTime'), 'm.' ~ raw_column('timeZone')) }} as received_at_local,
    cast({{ utc_to_local('m.' ~ raw_column('receivedDateTime'), 'm.' ~ raw_column('timeZone')) }} as date) as received_local_date,
    m.{{ raw_column('firstRepliedDateTime') }}      as first_replied_at_utc,
    m.{{ raw_column('lastRepliedDateTime') }}       as last_replied_at_utc,
    m.{{ raw_column('closedDateTime') }}            as closed_at_utc,
    m.{{ raw_column('asOfUtc') }}                   as as_of_utc,
    m.{{ raw_column('activityType') }}              as last_sent_by_activity,
    m.{{ raw_column('isFinal') }}                   as tap_is_final,
    -- Each activity's partition bookmark: every receipt / reply / close before it is in the table.
    w_rec.final_through_utc                         as receipts_complete_through_utc,
    w_rep.final_through_utc                         as replies_complete_through_utc,
    w_clo.final_through_utc                         as closes_complete_through_utc
from messages as m
left join watermarks as w_rec on w_rec.mailbox_id = m.{{ raw_column('mailboxId') }} and w_rec.period = 'received'
left join watermarks as w_rep on w_rep.mailbox_id = m.{{ raw_column('mailboxId') }} and w_rep.period = 'replied'
left join watermarks as w_clo on w_clo.mailbox_id = m.{{ raw_column('mailboxId') }} and w_clo.period = 'closed'
