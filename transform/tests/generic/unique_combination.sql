{#- No dbt packages here (dbt deps needs hub.getdbt.com): small own generic tests. -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test not_null_combination(model, columns) %}
select * from {{ model }}
where {% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}

{#- Composite relationships: every (columns) of model (rows matching `where`) exists in `to`. -#}
{#- Filter the child rows with the test's `where` config (dbt applies it to {{ model }}). -#}
{% test relationships_multi(model, columns, to, to_columns) %}
with child as (select * from {{ model }})  {#- with a where config, model is a subquery with its own alias -#}
select child.*
from child
left join {{ to }} as parent
  on {% for c in columns %}child.{{ c }} = parent.{{ to_columns[loop.index0] }}{% if not loop.last %} and {% endif %}{% endfor %}
where parent.{{ to_columns[0] }} is null
{% endtest %}
