-- A project has replacements only for its own rejected items, never more replacements than
-- rejections among its first draws, and no rejected item is in the sample.
with

frames as (

    select
        'commits' as frame,
        *
    from {{ ref('int_sampling__commit_frame') }}
    union all
    select
        'issues' as frame,
        *
    from {{ ref('int_sampling__issue_frame') }}

),

per_stratum as (

    select
        frame,
        stratum,
        count(*) filter (where sample_status = 'replacement') as replacements,
        count(*) filter (where is_rejected and draw_rank <= allocation) as rejected_first_draws,
        count(*) filter (where is_rejected and in_sample) as rejected_in_sample

    from frames
    group by frame, stratum

)

select * from per_stratum
where replacements > rejected_first_draws or rejected_in_sample > 0
