with

commit_sample as (

    select * from {{ ref('commit_sample') }}

),

study as (

    select * from {{ ref('study_descriptive_statistics') }}
    where study_table = 'table_3'

),

measured as (

    select
        deletions as deleted_lines,
        insertions as added_lines,
        files_modified as files

    from commit_sample

),

statistics as (

    {{ descriptive_statistics('measured', ['deleted_lines', 'added_lines', 'files']) }}

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
