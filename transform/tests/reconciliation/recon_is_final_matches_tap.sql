-- is_final (decided from finality_watermarks: startDateTimeUtc < finalThroughUtc) against the
-- tap's own per-row isFinal. They agree after a clean sync (they do in the sandbox); a partition
-- that failed mid-way can leave rows the tap marked final past a watermark that did not move,
-- so this only warns. The watermark is the authority (it is the state's bookmark).
{{ config(severity='warn') }}
{%- for m in ['stg_emailgistics__mailbox_performance', 'stg_emailgistics__user_performance', 'stg_emailgistics__domain_performance'] %}
select '{{ m }}' as model, mailbox_id, period, period_start_utc, is_final, tap_is_final
from {{ ref(m) }}
where is_final <> tap_is_final
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
