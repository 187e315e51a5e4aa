with

projects as (

    select * from {{ ref('int_selection__projects') }}

),

study as (

    select * from {{ ref('study_descriptive_statistics') }}
    where study_table = 'table_1'

),

selected as (

    select
        commits,
        stars,
        open_issues,
        days_since_last_push,
        contributors,
        forks,
        watchers_count,
        subscribers_count,
        size_kb,
        age_months

    from projects
    where selection_status = 'selected'

),

statistics as (

    {{ descriptive_statistics('selected', [
        'commits', 'stars', 'open_issues', 'days_since_last_push', 'contributors', 'forks',
        'watchers_count', 'subscribers_count', 'size_kb', 'age_months',
    ]) }}

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
