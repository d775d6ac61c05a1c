{#- One staging SELECT for the three combined report streams (mailbox/user/domain_performance):
    snake_case names, the local day/week the row counts for, the closed total (the weight of the
    close-time averages) and is_final decided from finality_watermarks. -#}
{% macro stg_report(stream, dimension=none) -%}
{%- set user_cols = stream == 'user_performance' %}
with report as (
    select * from {{ emailgistics_source(stream) }}
),
watermarks as (
    select * from {{ ref('stg_emailgistics__finality_watermarks') }}
    where stream = '{{ stream }}'
)
select
    r.{{ raw_column('mailboxId') }}                 as mailbox_id,
    r.{{ raw_column('period') }}                    as period,
    {%- if dimension == 'userId' %}
    r.{{ raw_column('userId') }}                    as user_id,
    {%- elif dimension == 'domain' %}
    lower(r.{{ raw_column('domain') }})             as sender_domain,
    {%- endif %}
    r.{{ raw_column('startDateTime') }}             as period_start_local,
    r.{{ raw_column('startDateTimeUtc') }}          as period_start_utc,
    {{ local_date_of('r.' ~ raw_column('startDateTime')) }} as local_date,
    {{ week_start_of(local_date_of('r.' ~ raw_column('startDateTime'))) }} as local_week_start,
    r.{{ raw_column('timeZone') }}                  as time_zone,
    cast(r.{{ raw_column('received') }} as bigint)  as received,
    cast(r.{{ raw_column('initiated') }} as bigint) as initiated,
    {%- if user_cols %}
    cast(r.{{ raw_column('assigned') }} as bigint)  as assigned,
    cast(r.{{ raw_column('reassigned') }} as bigint) as reassigned,
    {%- endif %}
    cast(r.{{ raw_column('initialReplies') }} as bigint) as initial_replies,
    cast(r.{{ raw_column('additionalReplies') }} as bigint) as additional_replies,
    cast(r.{{ raw_column('insideReplySla') }} as bigint) as inside_reply_sla,
    {%- if not user_cols %}
    cast(r.{{ raw_column('replyConversations') }} as bigint) as reply_conversations,
    cast(r.{{ raw_column('newConversations') }} as bigint) as new_conversations,
    cast(r.{{ raw_column('existingConversations') }} as bigint) as existing_conversations,
    {%- endif %}
    cast(r.{{ raw_column('closedArchived') }} as bigint) as closed_archived,
    cast(r.{{ raw_column('closedDeleted') }} as bigint) as closed_deleted,
    cast(r.{{ raw_column('closedJunk') }} as bigint) as closed_junk,
    cast(r.{{ raw_column('closedSentItems') }} as bigint) as closed_sent_items,
    cast(coalesce(r.{{ raw_column('closedArchived') }}, 0) + coalesce(r.{{ raw_column('closedDeleted') }}, 0)
         + coalesce(r.{{ raw_column('closedJunk') }}, 0) + coalesce(r.{{ raw_column('closedSentItems') }}, 0) as bigint) as closed_total,
    cast(r.{{ raw_column('insideClosedSla') }} as bigint) as inside_closed_sla,
    -- averages: reply ones are per initial reply, close ones per close (truth/reports.py)
    {%- if user_cols %}
    cast(r.{{ raw_column('averageUserInitialReplyTime') }} as {{ type_double() }}) as avg_user_initial_reply_minutes,
    {%- endif %}
    cast(r.{{ raw_column('averageMailboxInitialReplyTime') }} as {{ type_double() }}) as avg_business_initial_reply_minutes,
    cast(r.{{ raw_column('averageElapsedInitialReplyTime') }} as {{ type_double() }}) as avg_elapsed_initial_reply_minutes,
    {%- if user_cols %}
    cast(r.{{ raw_column('averageUserCloseTime') }} as {{ type_double() }}) as avg_user_close_minutes,
    {%- endif %}
    cast(r.{{ raw_column('averageMailboxCloseTime') }} as {{ type_double() }}) as avg_business_close_minutes,
    cast(r.{{ raw_column('averageElapsedCloseTime') }} as {{ type_double() }}) as avg_elapsed_close_minutes,
    -- Final iff the period starts before the partition's watermark; no watermark: provisional.
    coalesce(r.{{ raw_column('startDateTimeUtc') }} < w.final_through_utc, false) as is_final,
    w.final_through_utc                             as final_through_utc,
    {{ local_date_of('w.final_through_local') }}    as final_through_local_date,
    r.{{ raw_column('isFinal') }}                   as tap_is_final,
    r.{{ raw_column('dataCutoffTimestamp') }}       as data_cutoff_local
from report as r
left join watermarks as w
    on  w.mailbox_id = r.{{ raw_column('mailboxId') }}
    and w.period = r.{{ raw_column('period') }}
{%- endmacro %}
