-- No item is sampled twice within a frame, and no commit or issue is sampled under two projects.
with

sampled as (

    select
        'commits' as frame,
        item_key
    from {{ ref('int_sampling__commit_frame') }}
    where in_sample
    union all
    select
        'issues' as frame,
        item_key
    from {{ ref('int_sampling__issue_frame') }}
    where in_sample

)

select
    frame,
    item_key,
    count(*) as times
from sampled
group by frame, item_key
having count(*) > 1
