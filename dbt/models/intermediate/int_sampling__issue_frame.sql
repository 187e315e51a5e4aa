with

issues as (

    select * from {{ ref('stg_github__issues') }}

),

projects as (

    select * from {{ ref('int_selection__projects') }}

),

sample_reviews as (

    select * from {{ ref('stg_annotations__sample_reviews') }}

),

population as (

    select
        issues.issue_key as item_key,
        issues.repo_id as stratum

    from issues
    inner join projects on issues.repo_id = projects.repo_id
    where projects.selection_status = 'selected'

),

reviews as (

    select
        item_key,
        review_decision as decision

    from sample_reviews
    where frame = 'issues'

),

{{ stratified_sample('population', 'reviews') }}

select * from final
