{{ config(materialized='view') }}
-- Settled periods only: these rows never change.
select * from {{ ref('mart_sla_user') }}
where is_final
