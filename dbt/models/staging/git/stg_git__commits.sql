{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='repo_id',
        post_hook="{{ delete_superseded_generations(ref('stg_git__extractions')) }}",
    )
}}

-- depends_on: {{ source('git', 'commits') }}

with

source as (

    select * from {{
        landing_current_files('git/commits', ref('stg_git__extractions'), incremental=is_incremental())
    }}

),

renamed as (

    select
        lower(repo_id) || '@' || commit_hash as commit_key,
        lower(repo_id) as repo_id,
        commit_hash,
        parent_hashes,
        len(parent_hashes) as parent_count,
        len(parent_hashes) > 1 as is_merge,
        author_name,
        author_email,
        authored_at,
        author_tz_offset_minutes,
        committer_name,
        committer_email,
        committed_at,
        committer_tz_offset_minutes,
        message,
        trim(message, e' \t\n\r') = '' as has_empty_message,
        message_decoding_replaced,
        insertions,
        deletions,
        files_modified,
        {{ landing_generation() }} as landing_generation

    from source

)

select * from renamed
