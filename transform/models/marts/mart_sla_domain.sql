{{ sla_rollup('stg_emailgistics__domain_performance', ['mailbox_id', 'sender_domain']) }}
