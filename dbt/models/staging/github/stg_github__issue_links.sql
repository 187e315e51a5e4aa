with

source as (

    select * from {{ source('github', 'issue_links') }}

),

renamed as (

    select
        repo_id || '#' || issue_number as issue_key,
        repo_id,
        issue_number,
        linked_repo_id,
        linked_number as linked_pull_request_number,
        link_kind,
        commit_id,
        actor_login,
        fetched_at

    from source

)

select * from renamed
