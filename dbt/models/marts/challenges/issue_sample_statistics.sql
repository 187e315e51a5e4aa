with

issue_sample as (

    select * from {{ ref('issue_sample') }}

),

study as (

    select * from {{ ref('study_descriptive_statistics') }}
    where study_table = 'table_4'

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

    select
        statistics.*,
        study.label,
        study.study_mean,
        study.study_median,
        study.study_std,
        study.study_min,
        study.study_max

    from statistics
    left join study on statistics.measure = study.measure
    order by statistics.measure_order

)

select
    final.*,
    {{ build_stamp() }}

from final
