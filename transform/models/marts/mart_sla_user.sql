{{ sla_rollup('stg_emailgistics__user_performance', ['mailbox_id', 'user_id'], user_averages=true) }}
