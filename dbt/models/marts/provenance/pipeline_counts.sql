-- What every result rests on: this run's count at each step of the study's pipeline beside the
-- study's (seed study_pipeline_counts), including the RQ2 frame under both readings of Table 4.
with

study_counts as (

    select * from {{ ref('study_pipeline_counts') }}

),

projects as (

    select * from {{ ref('int_selection__projects') }}

),

commits as (

    select * from {{ ref('stg_git__commits') }}

),

modified_files as (

    select * from {{ ref('stg_git__modified_files') }}

),

model_file_commits as (

    select * from {{ ref('int_commits__model_file_commits') }}

),

issues as (

    select * from {{ ref('stg_github__issues') }}

),

issue_sampling_frame as (

    select * from {{ ref('issue_sampling_frame') }}

),

commit_sample as (

    select * from {{ ref('commit_sample') }}

),

issue_sample as (

    select * from {{ ref('issue_sample') }}

),

selected as (

    select repo_id from projects
    where selection_status = 'selected'

),

selected_commits as (

    select commits.*
    from commits
    inner join selected on commits.repo_id = selected.repo_id

),

selected_modified_files as (

    select
        modified_files.modified_file_key,
        selected_commits.has_empty_message

    from modified_files
    inner join selected_commits on modified_files.commit_key = selected_commits.commit_key

),

selected_issues as (

    select issues.*
    from issues
    inner join selected on issues.repo_id = selected.repo_id

),

run_counts as (

    select
        'candidate_projects' as step,
        count(*) as run_count
    from projects
    union all
    select
        'projects_passing_criteria' as step,
        count(*) filter (where passes_criteria) as run_count
    from projects
    union all
    select
        'selected_projects' as step,
        count(*) as run_count
    from selected
    union all
    select
        'commits_mined' as step,
        count(*) as run_count
    from selected_commits
    union all
    select
        'modified_files_mined' as step,
        count(*) as run_count
    from selected_modified_files
    union all
    select
        'commits_with_message' as step,
        count(*) filter (where not has_empty_message) as run_count
    from selected_commits
    union all
    select
        'modified_files_with_message' as step,
        count(*) filter (where not has_empty_message) as run_count
    from selected_modified_files
    union all
    select
        'model_file_commits' as step,
        count(*) as run_count
    from model_file_commits
    union all
    select
        'model_files' as step,
        coalesce(sum(model_file_count), 0) as run_count
    from model_file_commits
    union all
    select
        'closed_issues' as step,
        count(*) as run_count
    from selected_issues
    union all
    select
        'closed_issues_assigned_and_labelled' as step,
        count(*) filter (where assignee_count >= 1 and label_count >= 1) as run_count
    from selected_issues
    union all
    select
        'issue_sampling_frame' as step,
        coalesce(max(population_size), 0) as run_count
    from issue_sampling_frame
    union all
    select
        'commit_sample' as step,
        count(*) as run_count
    from commit_sample
    union all
    select
        'issue_sample' as step,
        count(*) as run_count
    from issue_sample
    union all
    select
        'labelled_commits' as step,
        count(*) filter (where label_status = 'labelled') as run_count
    from commit_sample
    union all
    select
        'labelled_issues' as step,
        count(*) filter (where label_status = 'labelled') as run_count
    from issue_sample

),

final as (

    select
        study_counts.step,
        study_counts.step_order,
        study_counts.description,
        run_counts.run_count::bigint as run_count,
        study_counts.study_count

    from study_counts
    left join run_counts on study_counts.step = run_counts.step
    order by study_counts.step_order

)

select
    final.*,
    {{ build_stamp() }}

from final
