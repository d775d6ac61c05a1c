{%- set src = emailgistics_source('mailbox_users') %}
select
    {{ raw_column('mailboxId') }}                                    as mailbox_id,
    {{ raw_column('userId') }}                                       as user_id,
    {{ raw_column('userName') }}                                     as user_name,
    {{ raw_column('userEmail') }}                                    as user_email,
    {{ raw_column('active') }}                                       as is_active,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} as deleted_at,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} is not null as is_deleted
from {{ src }}
