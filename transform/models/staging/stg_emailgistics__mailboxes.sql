{%- set src = emailgistics_source('mailboxes') %}
select
    {{ raw_column('mailboxId') }}                                    as mailbox_id,
    {{ raw_column('mailboxName') }}                                  as mailbox_name,
    {{ raw_column('mailboxEmail') }}                                 as mailbox_email,
    {{ raw_column('active') }}                                       as is_active,
    {{ raw_column('timeZone') }}                                     as time_zone,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} as deleted_at,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} is not null as is_deleted
from {{ src }}
