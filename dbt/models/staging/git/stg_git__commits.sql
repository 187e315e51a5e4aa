with

source as (

    select * from {{ landed_generation_files('git/commits', 'stg_git__extractions') }}

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
