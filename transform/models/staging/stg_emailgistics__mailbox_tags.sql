{%- set src = emailgistics_source('mailbox_tags') %}
select
    "mailboxId"                                                      as mailbox_id,
    "tagId"                                                          as tag_id,
    "tagName"                                                        as tag_name,
    "tagColor"                                                       as tag_color,
    "active"                                                         as is_active,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} as deleted_at,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} is not null as is_deleted
from {{ src }}
