with

commits as (

    select * from {{ ref('stg_git__commits') }}

),

model_file_matches as (

    select * from {{ ref('int_commits__model_file_matches') }}

),

modified_files as (

    select * from {{ ref('stg_git__modified_files') }}

),

projects as (

    select * from {{ ref('int_selection__projects') }}

),

selected_projects as (

    select repo_id from projects
    where selection_status = 'selected'

),

commit_matches as (

    select
        commit_key,
        count(distinct modified_file_key) as model_file_count,
        list_sort(list(distinct keyword)) as matched_keywords

    from model_file_matches
    group by commit_key

),

changed_paths as (

    select
        modified_files.commit_key,
        list(modified_files.path order by modified_files.file_index) as changed_paths

    from modified_files
    inner join commit_matches on modified_files.commit_key = commit_matches.commit_key
    group by modified_files.commit_key

),

final as (

    select
        commits.commit_key,
        commits.repo_id,
        commits.commit_hash,
        'https://github.com/' || commits.repo_id || '/commit/' || commits.commit_hash as commit_url,
        commits.message,
        commits.authored_at,
        year(commits.authored_at) as commit_year,
        commits.committed_at,
        commits.insertions,
        commits.deletions,
        commits.files_modified,
        commit_matches.model_file_count,
        commit_matches.matched_keywords,
        changed_paths.changed_paths

    from commits
    inner join selected_projects on commits.repo_id = selected_projects.repo_id
    inner join commit_matches on commits.commit_key = commit_matches.commit_key
    left join changed_paths on commits.commit_key = changed_paths.commit_key
    where not commits.has_empty_message

)

select * from final
