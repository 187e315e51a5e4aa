with

source as (

    select * from {{ source('github', 'issues') }}

),

renamed as (

    select
        repo_id || '#' || number as issue_key,
        repo_id,
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
        html_url

    from source
    where not is_pull_request

)

select * from renamed
