with

candidates as (

    select * from {{ ref('stg_github__candidates') }}

),

repositories as (

    select * from {{ ref('stg_github__repositories') }}

),

inspections as (

    select * from {{ ref('stg_annotations__project_inspections') }}

),

valid_candidates as (

    -- a project listed in several candidate lists is one candidate
    select
        repo_id,
        min(candidate_list) as candidate_list,
        min(candidate_type) as candidate_type

    from candidates
    where is_valid
    group by repo_id

),

measured as (

    select
        valid_candidates.repo_id,
        valid_candidates.candidate_list,
        valid_candidates.candidate_type,
        repositories.metadata_status,
        coalesce(repositories.metadata_status in ('ok', 'renamed', 'name_reused'), false) as has_metadata,
        repositories.full_name,
        repositories.created_at,
        repositories.pushed_at,
        repositories.fetched_at,
        {% if var('snapshot_date') == 'fetched_at' -%}
        cast(timezone('UTC', repositories.fetched_at) as date)
        {%- else -%}
            cast('{{ var("snapshot_date") }}' as date)
        {%- endif %} as snapshot_date,
        repositories.commits,
        repositories.stars,
        repositories.watchers_count,
        repositories.subscribers_count,
        repositories.forks,
        repositories.open_issues,
        repositories.size_kb,
        repositories.contributors

    from valid_candidates
    left join repositories on valid_candidates.repo_id = repositories.repo_id

),

criteria as (

    select
        *,
        date_diff('day', cast(timezone('UTC', pushed_at) as date), snapshot_date) as days_since_last_push,
        date_diff('day', cast(timezone('UTC', created_at) as date), snapshot_date) / (365.25 / 12) as age_months,
        coalesce(
            cast(timezone('UTC', created_at) as date) <= snapshot_date - to_years({{ var('min_age_years') }}),
            false
        ) as passes_age,
        coalesce(commits >= {{ var('min_commits') }}, false) as passes_commits,
        coalesce(
            date_diff('day', cast(timezone('UTC', pushed_at) as date), snapshot_date)
            <= {{ var('max_days_since_last_push') }},
            false
        ) as passes_last_push,
        coalesce(stars >= {{ var('min_stars') }}, false) as passes_stars,
        coalesce(contributors > {{ var('contributors_more_than') }}, false) as passes_contributors

    from measured

),

inspection_decisions as (

    select
        repo_id,
        count(*) as inspection_count,
        case
            when bool_and(inspection_decision = 'include') then 'include'
            when bool_and(inspection_decision = 'exclude') then 'exclude'
            else 'conflict'
        end as inspection_decision,
        string_agg(reviewer || ': ' || coalesce(inspection_note, ''), '; ' order by reviewer) as inspection_notes

    from inspections
    group by repo_id

),

judged as (

    -- Every criterion is judged on the candidate's own row; the inspection joins afterwards.
    select
        *,
        has_metadata and passes_age and passes_commits and passes_last_push and passes_stars
        and passes_contributors as passes_criteria,
        list_filter(
            [
                case when not has_metadata then 'metadata ' || coalesce(metadata_status, 'not fetched') end,
                case
                    when has_metadata and not passes_age
                        then 'younger than {{ var("min_age_years") }} year(s)'
                end,
                case
                    when has_metadata and not passes_commits
                        then 'fewer than {{ var("min_commits") }} commits'
                end,
                case
                    when has_metadata and not passes_last_push
                        then 'last push more than {{ var("max_days_since_last_push") }} days before the snapshot'
                end,
                case
                    when has_metadata and not passes_stars
                        then 'fewer than {{ var("min_stars") }} stars'
                end,
                case
                    when has_metadata and not passes_contributors
                        then 'not more than {{ var("contributors_more_than") }} contributors'
                end
            ],
            reason -> reason is not null
        ) as exclusion_reasons

    from criteria

),

final as (

    select
        judged.*,
        coalesce(inspection_decisions.inspection_decision, 'pending') as inspection_decision,
        coalesce(inspection_decisions.inspection_count, 0) as inspection_count,
        inspection_decisions.inspection_notes,
        case
            when not judged.passes_criteria then 'excluded_by_criteria'
            when inspection_decisions.inspection_decision = 'include' then 'selected'
            when inspection_decisions.inspection_decision = 'exclude' then 'excluded_by_inspection'
            else 'pending_inspection'
        end as selection_status

    from judged
    left join inspection_decisions on judged.repo_id = inspection_decisions.repo_id

)

select * from final
