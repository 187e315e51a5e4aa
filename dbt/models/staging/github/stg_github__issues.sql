{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='repo_id',
        post_hook="{{ delete_superseded_generations(ref('stg_github__issue_crawls')) }}",
    )
}}

-- depends_on: {{ source('github', 'issues') }}

with

source as (

    select * from {{
        landing_current_files('github/issues', ref('stg_github__issue_crawls'), incremental=is_incremental())
    }}

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
