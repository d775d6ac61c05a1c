select
    "stream"                                  as stream,
    "mailboxId"                               as mailbox_id,
    "period"                                  as period,
    "timeZone"                                as time_zone,
    "finalThroughLocal"                       as final_through_local,
    "finalThroughUtc"                         as final_through_utc,
    cast("provisionalPeriods" as bigint)      as provisional_periods,
    "dataCutoffTimestamp"                     as data_cutoff_local,
    "dataCutoffTimestampUtc"                  as data_cutoff_utc,
    "apiNowUtc"                               as api_now_utc,
    "lastVerifiedRunAtUtc"                    as last_verified_run_at_utc
from {{ emailgistics_source('finality_watermarks') }}
