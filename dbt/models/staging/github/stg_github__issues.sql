with

source as (

    select * from {{ landed_generation_files('github/issues', 'stg_github__issue_crawls') }}

),

renamed as (

    select
        lower(repo_id) || '#' || number as issue_key,
        lower(repo_id) as repo_id,
        number as issue_number,
        is_pull_request,
        title,
        body,
        author_login,
        state,
        state_reason,
        labels,
        len(labels) as label_count,
        assignees,
        len(assignees) as assignee_count,
        comments_count,
        created_at,
        updated_at,
        closed_at,
        closed_by_login,
        html_url,
        {{ landing_generation() }} as landing_generation

    from source
    where not is_pull_request

)

select * from renamed
