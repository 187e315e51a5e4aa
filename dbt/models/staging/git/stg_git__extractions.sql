with

source as (

    select * from {{ source('git', 'extractions') }}

),

renamed as (

    select
        repo_id,
        source as git_source,
        ref,
        mined_head,
        previous_head,
        mode as extraction_mode,
        commits as commits_landed,
        modified_files as modified_files_landed,
        new_commits,
        dropped_commits,
        extracted_at,
        engine,
        tool_versions,
        undiffable_commits

    from source

)

select * from renamed
