with

source as (

    select * from {{ landed_generation_files('git/modified_files', 'stg_git__extractions') }}

),

renamed as (

    select
        lower(repo_id) || '@' || commit_hash || '#' || file_index as modified_file_key,
        lower(repo_id) || '@' || commit_hash as commit_key,
        lower(repo_id) as repo_id,
        commit_hash,
        file_index,
        lower(change_type) as change_type,
        old_path,
        new_path,
        coalesce(new_path, old_path) as path,
        added_lines,
        deleted_lines,
        is_binary,
        {{ landing_generation() }} as landing_generation

    from source

)

select * from renamed
