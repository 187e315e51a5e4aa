{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='repo_id',
        post_hook="{{ delete_superseded_generations(ref('stg_git__extractions')) }}",
    )
}}

-- depends_on: {{ source('git', 'modified_files') }}

with

source as (

    select * from {{
        landing_current_files('git/modified_files', ref('stg_git__extractions'), incremental=is_incremental())
    }}

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
