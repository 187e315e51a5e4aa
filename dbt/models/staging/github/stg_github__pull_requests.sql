with

source as (

    select * from {{ landed_generation_files('github/issues', 'stg_github__issue_crawls') }}

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
