{%- set src = emailgistics_source('mailbox_users') %}
select
    "mailboxId"                                                      as mailbox_id,
    "userId"                                                         as user_id,
    "userName"                                                       as user_name,
    "userEmail"                                                      as user_email,
    "active"                                                         as is_active,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} as deleted_at,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} is not null as is_deleted
from {{ src }}
