with

source as (

    select * from {{ source('github', 'issue_crawls') }}

),

renamed as (

    select
        lower(source.repo_id) as repo_id,
        source.github_id,
        source.full_name as github_full_name,
        source.api_base_url,
        source.status as crawl_status,
        source.status_detail,
        source.since,
        source.next_since,
        source.etag,
        source.is_complete,
        source.pages_fetched,
        source.requests_made,
        source.issues_landed,
        source.pull_requests_landed,
        source.extracted_at,
        source.generation,
        source.landed_files

    from source

),

{{ with_landed_files_on_disk('renamed', 'github') }}
