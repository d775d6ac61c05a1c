{{ stg_report('domain_performance', 'domain') }}
