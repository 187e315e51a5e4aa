with

projects as (

    select * from {{ ref('int_selection__projects') }}

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

    select * from statistics
    order by measure_order

)

select
    final.*,
    {{ build_stamp() }}

from final
