with

commit_sample as (

    select * from {{ ref('commit_sample') }}

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

    select * from statistics
    order by measure_order

)

select
    final.*,
    {{ build_stamp() }}

from final
