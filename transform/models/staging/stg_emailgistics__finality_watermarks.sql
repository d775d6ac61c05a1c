select
    {{ raw_column('stream') }}                as stream,
    {{ raw_column('mailboxId') }}             as mailbox_id,
    {{ raw_column('period') }}                as period,
    {{ raw_column('timeZone') }}              as time_zone,
    {{ raw_column('finalThroughLocal') }}     as final_through_local,
    {{ raw_column('finalThroughUtc') }}       as final_through_utc,
    cast({{ raw_column('provisionalPeriods') }} as bigint) as provisional_periods,
    {{ raw_column('dataCutoffTimestamp') }}   as data_cutoff_local,
    {{ raw_column('dataCutoffTimestampUtc') }} as data_cutoff_utc,
    {{ raw_column('apiNowUtc') }}             as api_now_utc,
    {{ raw_column('lastVerifiedRunAtUtc') }}  as last_verified_run_at_utc
from {{ emailgistics_source('finality_watermarks') }}
