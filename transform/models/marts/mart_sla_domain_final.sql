{{ config(materialized='view') }}
-- Settled periods only: these rows never change.
select * from {{ ref('mart_sla_domain') }}
where is_final
