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
        lower(source.repo_id) as repo_id,
        source.status as metadata_status,
        source.status_detail,
        source.github_id,
        source.full_name,
        source.created_at,
        source.pushed_at,
        source.updated_at,
        source.stargazers_count as stars,
        -- GitHub's watchers_count is the star count (the study's "watchers"); the real number of
        -- watchers is subscribers_count.
        source.watchers_count,
        source.subscribers_count,
        source.forks_count as forks,
        source.open_issues_count as open_issues,
        source.size_kb,
        source.default_branch,
        source.is_archived,
        source.is_fork,
        source.language,
        source.topics,
        source.commits_count as commits,
        source.contributors_count as contributors,
        source.fetched_at,
        source.values_fetched_at,
        source.requests_made,
        source.api_base_url,
        stamps.landing_file,
        stamps.landing_modified,
        stamps.landing_size

    from source
    inner join stamps on source.filename = stamps.landing_file

)

select * from renamed
