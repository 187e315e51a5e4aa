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
        lower(repo_id) || '#' || number as pull_request_key,
        lower(repo_id) as repo_id,
        number as pull_request_number,
        is_pull_request,
        title,
        body,
        author_login,
        state,
        labels,
        assignees,
        comments_count,
        created_at,
        updated_at,
        closed_at,
        closed_by_login,
        pull_request_merged_at as merged_at,
        pull_request_merged_at is not null as is_merged,
        html_url,
        {{ landing_generation() }} as landing_generation

    from source
    where is_pull_request

)

select * from renamed
