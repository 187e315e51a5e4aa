{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='landing_file',
        post_hook="{{ delete_unlanded_files('github/repositories') }}",
    )
}}

-- depends_on: {{ source('github', 'repositories') }}

with

source as (

    select * from {{ landing_changed_files('github/repositories', incremental=is_incremental()) }}

),

stamps as (

    {{ landing_file_stamps('github/repositories') }}

),

renamed as (

    select
        lower(repo_id) as repo_id,
        status as metadata_status,
        status_detail,
        github_id,
        full_name,
        created_at,
        pushed_at,
        updated_at,
        stargazers_count as stars,
        -- GitHub's watchers_count is the star count (the study's "watchers"); the real number of
        -- watchers is subscribers_count.
        watchers_count,
        subscribers_count,
        forks_count as forks,
        open_issues_count as open_issues,
        size_kb,
        default_branch,
        is_archived,
        is_fork,
        language,
        topics,
        commits_count as commits,
        contributors_count as contributors,
        fetched_at,
        values_fetched_at,
        requests_made,
        api_base_url,
        stamps.landing_file,
        stamps.landing_modified,
        stamps.landing_size

    from source
    inner join stamps on source.filename = stamps.landing_file

)

select * from renamed
