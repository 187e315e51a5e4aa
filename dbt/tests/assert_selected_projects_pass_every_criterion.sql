-- A selected project passes every criterion of section 2.1 and was included by inspection.
select *
from {{ ref('project_selection') }}
where
    is_selected
    and not (
        passes_age and passes_commits and passes_last_push and passes_stars and passes_contributors
        and inspection_decision = 'include'
    )
