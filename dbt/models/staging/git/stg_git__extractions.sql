with

source as (

    select * from {{ source('git', 'extractions') }}

),

renamed as (

    select
        lower(source.repo_id) as repo_id,
        source.source as git_source,
        source.ref,
        source.mined_head,
        source.previous_head,
        source.mode as extraction_mode,
        source.commits as commits_landed,
        source.modified_files as modified_files_landed,
        source.new_commits,
        source.dropped_commits,
        source.extracted_at,
        source.engine,
        coalesce(source.detect_copies, source.engine = 'git-log') as detects_copies,
        source.missing_objects as missing_objects_policy,
        source.tool_versions,
        source.undiffable_commits,
        source.generation,
        source.landed_files

    from source

),

{{ with_landed_files_on_disk('renamed', 'git') }}
