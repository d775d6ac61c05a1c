{{ stg_report('user_performance', 'userId') }}
