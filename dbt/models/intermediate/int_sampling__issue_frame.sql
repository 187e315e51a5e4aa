{%- set issue_frame_filter = var('issue_frame_filter') -%}
{%- if issue_frame_filter not in ['all_closed', 'assigned_and_labelled'] -%}
    {{ exceptions.raise_compiler_error("var issue_frame_filter must be 'all_closed' or 'assigned_and_labelled', got '" ~ issue_frame_filter ~ "'") }}
{%- endif -%}

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
    where
        projects.selection_status = 'selected'
    {%- if issue_frame_filter == 'assigned_and_labelled' %}
        -- the reading of the study's Table 4 (minimum 1 assignee, 1 label): docs/method.md
        and issues.assignee_count >= 1
        and issues.label_count >= 1
    {%- endif %}

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
