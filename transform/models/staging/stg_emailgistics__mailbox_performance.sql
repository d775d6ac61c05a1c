{{ stg_report('mailbox_performance') }}
