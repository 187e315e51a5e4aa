with

source as (

    select * from {{ source('github', 'issue_crawls') }}

),

renamed as (

    select
        repo_id,
        api_base_url,
        status as crawl_status,
        status_detail,
        since,
        next_since,
        etag,
        is_complete,
        pages_fetched,
        requests_made,
        issues_landed,
        pull_requests_landed,
        extracted_at

    from source

)

select * from renamed
