-- The RQ2 frame's items: every closed issue of the selected projects (the crawl lands closed
-- issues only), with its closure time.
with

issues as (

    select * from {{ ref('stg_github__issues') }}

),

projects as (

    select * from {{ ref('int_selection__projects') }}

),

final as (

    select
        issues.issue_key,
        issues.repo_id,
        issues.issue_number,
        issues.html_url,
        issues.title,
        issues.body,
        issues.labels as github_labels,
        issues.comments_count,
        issues.assignee_count,
        issues.label_count,
        issues.created_at,
        issues.closed_at,
        (epoch(issues.closed_at) - epoch(issues.created_at)) / 86400.0 as closure_days,
        year(issues.closed_at) as closed_year

    from issues
    inner join projects on issues.repo_id = projects.repo_id
    where projects.selection_status = 'selected'

)

select * from final
