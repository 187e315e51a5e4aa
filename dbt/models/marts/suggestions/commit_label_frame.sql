-- The RQ1 frame as the label suggester sees it: every model-file commit with its text, modified
-- paths, diff statistics and year, and what people decided about it (draw, review, final labels).
with

model_file_commits as (

    select * from {{ ref('int_commits__model_file_commits') }}

),

modified_files as (

    select * from {{ ref('stg_git__modified_files') }}

),

draws as (

    select * from {{ ref('int_sampling__commit_frame') }}

),

reviews as (

    select * from {{ ref('stg_annotations__sample_reviews') }}
    where frame = 'commits'

),

item_status as (

    select * from {{ ref('int_labels__item_status') }}
    where frame = 'commits'

),

changed_paths as (

    select
        modified_files.commit_key,
        list(modified_files.path order by modified_files.file_index) as changed_paths

    from modified_files
    inner join model_file_commits on modified_files.commit_key = model_file_commits.commit_key
    group by modified_files.commit_key

),

review_decisions as (

    select
        item_key,
        case when bool_or(review_decision = 'reject') then 'reject' else 'keep' end as review_decision

    from reviews
    group by item_key

),

final as (

    select
        model_file_commits.commit_key,
        model_file_commits.repo_id,
        year(model_file_commits.authored_at) as commit_year,
        model_file_commits.message,
        changed_paths.changed_paths,
        model_file_commits.matched_keywords,
        model_file_commits.insertions,
        model_file_commits.deletions,
        model_file_commits.files_modified,
        model_file_commits.model_file_count,
        draws.draw_rank,
        draws.allocation,
        coalesce(draws.draw_rank <= draws.allocation, false) as in_design_sample,
        review_decisions.review_decision,
        case when item_status.label_status = 'labelled' then item_status.labels end as final_labels,
        coalesce(item_status.label_status, 'pending') as label_status

    from model_file_commits
    left join changed_paths on model_file_commits.commit_key = changed_paths.commit_key
    left join draws on model_file_commits.commit_key = draws.item_key
    left join review_decisions on model_file_commits.commit_key = review_decisions.item_key
    left join item_status on model_file_commits.commit_key = item_status.item_key

)

select
    final.*,
    {{ build_stamp() }}

from final
