with

source as (

    select * from {{ source('git', 'commits') }}

),

renamed as (

    select
        repo_id || '@' || commit_hash as commit_key,
        repo_id,
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
        files_modified

    from source

)

select * from renamed
