-- Each frame holds exactly its target number of items, unless projects ran out of items to
-- replace rejected ones (then it is short by exactly the exhausted projects' missing items).
with

frames as (

    select
        'commits' as frame,
        stratum,
        allocation,
        in_sample,
        target_sample_size
    from {{ ref('int_sampling__commit_frame') }}
    union all
    select
        'issues' as frame,
        stratum,
        allocation,
        in_sample,
        target_sample_size
    from {{ ref('int_sampling__issue_frame') }}

),

per_stratum as (

    select
        frame,
        stratum,
        any_value(allocation) as allocation,
        count(*) filter (where in_sample) as sampled,
        any_value(target_sample_size) as target_sample_size

    from frames
    group by frame, stratum

),

per_frame as (

    select
        frame,
        any_value(target_sample_size) as target_sample_size,
        sum(sampled) as sampled,
        sum(allocation - sampled) as shortfall,
        sum(allocation) as allocated

    from per_stratum
    group by frame

)

select * from per_frame
where
    allocated <> target_sample_size
    or sampled + shortfall <> target_sample_size
    or shortfall < 0
