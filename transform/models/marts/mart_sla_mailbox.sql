{{ sla_rollup('stg_emailgistics__mailbox_performance', ['mailbox_id']) }}
