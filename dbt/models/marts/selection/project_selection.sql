with

projects as (

    select * from {{ ref('int_selection__projects') }}

),

final as (

    select
        repo_id,
        candidate_list,
        candidate_type,
        metadata_status,
        snapshot_date,
        commits,
        stars,
        watchers_count,
        subscribers_count,
        forks,
        open_issues,
        size_kb,
        contributors,
        days_since_last_push,
        age_months,
        passes_age,
        passes_commits,
        passes_last_push,
        passes_stars,
        passes_contributors,
        passes_criteria,
        exclusion_reasons,
        array_to_string(exclusion_reasons, '; ') as exclusion_reason_text,
        inspection_decision,
        inspection_count,
        inspection_notes,
        selection_status,
        selection_status = 'selected' as is_selected

    from projects

)

select
    final.*,
    {{ build_stamp() }}

from final
