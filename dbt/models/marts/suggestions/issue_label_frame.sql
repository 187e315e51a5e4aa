-- The RQ2 frame as the label suggester sees it: every closed issue of the selected projects with
-- its title, body, GitHub labels and year of closure, and what people decided about it.
with

issues as (

    select * from {{ ref('stg_github__issues') }}

),

projects as (

    select * from {{ ref('int_selection__projects') }}

),

draws as (

    select * from {{ ref('int_sampling__issue_frame') }}

),

reviews as (

    select * from {{ ref('stg_annotations__sample_reviews') }}
    where frame = 'issues'

),

item_status as (

    select * from {{ ref('int_labels__item_status') }}
    where frame = 'issues'

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
        issues.issue_key,
        issues.repo_id,
        year(issues.closed_at) as closed_year,
        issues.title,
        issues.body,
        issues.labels as github_labels,
        issues.comments_count,
        draws.draw_rank,
        draws.allocation,
        coalesce(draws.draw_rank <= draws.allocation, false) as in_design_sample,
        review_decisions.review_decision,
        case when item_status.label_status = 'labelled' then item_status.labels end as final_labels,
        coalesce(item_status.label_status, 'pending') as label_status

    from issues
    inner join projects on issues.repo_id = projects.repo_id
    left join draws on issues.issue_key = draws.item_key
    left join review_decisions on issues.issue_key = review_decisions.item_key
    left join item_status on issues.issue_key = item_status.item_key
    where projects.selection_status = 'selected'

)

select
    final.*,
    {{ build_stamp() }}

from final
