with

frame as (

    select * from {{ ref('int_sampling__commit_frame') }}

),

model_file_commits as (

    select * from {{ ref('int_commits__model_file_commits') }}

),

final as (

    select
        frame.item_key as commit_key,
        frame.stratum as repo_id,
        model_file_commits.commit_hash,
        'https://github.com/' || frame.stratum || '/commit/' || model_file_commits.commit_hash as commit_url,
        model_file_commits.message,
        model_file_commits.insertions,
        model_file_commits.deletions,
        model_file_commits.files_modified,
        model_file_commits.model_file_count,
        model_file_commits.matched_keywords,
        frame.stratum_size,
        frame.allocation,
        frame.draw_rank,
        frame.is_rejected,
        frame.in_sample,
        frame.sample_status,
        frame.population_size,
        frame.stratum_count,
        frame.cochran_sample_size,
        frame.target_sample_size,
        frame.target_raised_for_coverage

    from frame
    inner join model_file_commits on frame.item_key = model_file_commits.commit_key

)

select
    final.*,
    {{ build_stamp() }}

from final
