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
    r."mailboxId"                                   as mailbox_id,
    r."period"                                      as period,
    {%- if dimension == 'userId' %}
    r."userId"                                      as user_id,
    {%- elif dimension == 'domain' %}
    lower(r."domain")                               as sender_domain,
    {%- endif %}
    r."startDateTime"                               as period_start_local,
    r."startDateTimeUtc"                            as period_start_utc,
    {{ local_date_of('r."startDateTime"') }}        as local_date,
    {{ week_start_of(local_date_of('r."startDateTime"')) }} as local_week_start,
    r."timeZone"                                    as time_zone,
    cast(r."received" as bigint)                    as received,
    cast(r."initiated" as bigint)                   as initiated,
    {%- if user_cols %}
    cast(r."assigned" as bigint)                    as assigned,
    cast(r."reassigned" as bigint)                  as reassigned,
    {%- endif %}
    cast(r."initialReplies" as bigint)              as initial_replies,
    cast(r."additionalReplies" as bigint)           as additional_replies,
    cast(r."insideReplySla" as bigint)              as inside_reply_sla,
    {%- if not user_cols %}
    cast(r."replyConversations" as bigint)          as reply_conversations,
    cast(r."newConversations" as bigint)            as new_conversations,
    cast(r."existingConversations" as bigint)       as existing_conversations,
    {%- endif %}
    cast(r."closedArchived" as bigint)              as closed_archived,
    cast(r."closedDeleted" as bigint)               as closed_deleted,
    cast(r."closedJunk" as bigint)                  as closed_junk,
    cast(r."closedSentItems" as bigint)             as closed_sent_items,
    cast(coalesce(r."closedArchived", 0) + coalesce(r."closedDeleted", 0)
         + coalesce(r."closedJunk", 0) + coalesce(r."closedSentItems", 0) as bigint) as closed_total,
    cast(r."insideClosedSla" as bigint)             as inside_closed_sla,
    -- averages: reply ones are per initial reply, close ones per close (truth/reports.py)
    {%- if user_cols %}
    cast(r."averageUserInitialReplyTime" as {{ type_double() }})    as avg_user_initial_reply_minutes,
    {%- endif %}
    cast(r."averageMailboxInitialReplyTime" as {{ type_double() }}) as avg_business_initial_reply_minutes,
    cast(r."averageElapsedInitialReplyTime" as {{ type_double() }}) as avg_elapsed_initial_reply_minutes,
    {%- if user_cols %}
    cast(r."averageUserCloseTime" as {{ type_double() }})           as avg_user_close_minutes,
    {%- endif %}
    cast(r."averageMailboxCloseTime" as {{ type_double() }})        as avg_business_close_minutes,
    cast(r."averageElapsedCloseTime" as {{ type_double() }})        as avg_elapsed_close_minutes,
    -- Final iff the period starts before the partition's watermark; no watermark: provisional.
    coalesce(r."startDateTimeUtc" < w.final_through_utc, false)     as is_final,
    w.final_through_utc                             as final_through_utc,
    {{ local_date_of('w.final_through_local') }}    as final_through_local_date,
    r."isFinal"                                     as tap_is_final,
    r."dataCutoffTimestamp"                         as data_cutoff_local
from report as r
left join watermarks as w
    on  w.mailbox_id = r."mailboxId"
    and w.period = r."period"
{%- endmacro %}
