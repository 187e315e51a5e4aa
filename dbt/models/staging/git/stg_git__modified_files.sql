with

source as (

    select * from {{ source('git', 'modified_files') }}

),

renamed as (

    select
        repo_id || '@' || commit_hash || '#' || file_index as modified_file_key,
        repo_id || '@' || commit_hash as commit_key,
        repo_id,
        commit_hash,
        file_index,
        lower(change_type) as change_type,
        old_path,
        new_path,
        coalesce(new_path, old_path) as path,
        added_lines,
        deleted_lines,
        is_binary

    from source

)

select * from renamed
