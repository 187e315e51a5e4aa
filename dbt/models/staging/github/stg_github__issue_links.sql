with

source as (

    select * from {{ source('github', 'issue_links') }}

),

renamed as (

    select
        lower(repo_id) || '#' || issue_number as issue_key,
        lower(repo_id) as repo_id,
        issue_number,
        lower(linked_repo_id) as linked_repo_id,
        linked_number as linked_pull_request_number,
        link_kind,
        commit_id,
        actor_login,
        fetched_at

    from source

)

select * from renamed
