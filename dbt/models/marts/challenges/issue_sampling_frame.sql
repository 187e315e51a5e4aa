with

frame as (

    select * from {{ ref('int_sampling__issue_frame') }}

),

issues as (

    select * from {{ ref('stg_github__issues') }}

),

final as (

    select
        frame.item_key as issue_key,
        frame.stratum as repo_id,
        issues.issue_number,
        issues.html_url,
        issues.title,
        issues.body,
        issues.comments_count,
        issues.assignee_count,
        issues.label_count,
        issues.created_at,
        issues.closed_at,
        (epoch(issues.closed_at) - epoch(issues.created_at)) / 86400.0 as closure_days,
        frame.stratum_size,
        frame.allocation,
        frame.draw_rank,
        frame.is_rejected,
        frame.in_sample,
        frame.sample_status,
        frame.population_size,
        frame.stratum_count,
        frame.cochran_sample_size,
        frame.target_sample_size,
        frame.target_raised_for_coverage

    from frame
    inner join issues on frame.item_key = issues.issue_key

)

select
    final.*,
    {{ build_stamp() }}

from final
