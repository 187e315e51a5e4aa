-- Every project of each population has at least one item in its sample, unless all its drawn
-- items were rejected.
with

frames as (

    select
        'commits' as frame,
        stratum,
        in_sample,
        is_rejected,
        stratum_size
    from {{ ref('int_sampling__commit_frame') }}
    union all
    select
        'issues' as frame,
        stratum,
        in_sample,
        is_rejected,
        stratum_size
    from {{ ref('int_sampling__issue_frame') }}

),

populations as (

    select
        'commits' as frame,
        repo_id as stratum,
        count(*) as stratum_size
    from {{ ref('int_commits__model_file_commits') }}
    group by repo_id
    union all
    select
        'issues' as frame,
        issues.repo_id as stratum,
        count(*) as stratum_size
    from {{ ref('stg_github__issues') }} as issues
    inner join {{ ref('selected_projects') }} as selected on issues.repo_id = selected.repo_id
    group by issues.repo_id

),

represented as (

    select
        frame,
        stratum,
        count(*) filter (where in_sample) as sampled,
        count(*) filter (where is_rejected) as rejected

    from frames
    group by frame, stratum

)

select populations.*
from populations
left join represented
    on populations.frame = represented.frame and populations.stratum = represented.stratum
where
    coalesce(represented.sampled, 0) = 0
    and coalesce(represented.rejected, 0) < populations.stratum_size
