with

issue_sample as (

    select * from {{ ref('issue_sample') }}

),

measured as (

    select
        comments_count as comments,
        assignee_count as assignees,
        label_count as labels,
        closure_days as age_days

    from issue_sample

),

statistics as (

    {{ descriptive_statistics('measured', ['comments', 'assignees', 'labels', 'age_days']) }}

),

final as (

    select * from statistics
    order by measure_order

)

select
    final.*,
    {{ build_stamp() }}

from final
