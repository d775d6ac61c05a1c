{%- set src = emailgistics_source('mailboxes') %}
select
    "mailboxId"                                                      as mailbox_id,
    "mailboxName"                                                    as mailbox_name,
    "mailboxEmail"                                                   as mailbox_email,
    "active"                                                         as is_active,
    "timeZone"                                                       as time_zone,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} as deleted_at,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} is not null as is_deleted
from {{ src }}
