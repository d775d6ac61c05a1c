{%- set src = emailgistics_source('mailbox_tags') %}
select
    {{ raw_column('mailboxId') }}                                    as mailbox_id,
    {{ raw_column('tagId') }}                                        as tag_id,
    {{ raw_column('tagName') }}                                      as tag_name,
    {{ raw_column('tagColor') }}                                     as tag_color,
    {{ raw_column('active') }}                                       as is_active,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} as deleted_at,
    {{ column_or_null(src, '_sdc_deleted_at', dbt.type_timestamp()) }} is not null as is_deleted
from {{ src }}
