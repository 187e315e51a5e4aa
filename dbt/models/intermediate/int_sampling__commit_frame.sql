with

model_file_commits as (

    select * from {{ ref('int_commits__model_file_commits') }}

),

sample_reviews as (

    select * from {{ ref('stg_annotations__sample_reviews') }}

),

population as (

    select
        commit_key as item_key,
        repo_id as stratum

    from model_file_commits

),

reviews as (

    select
        item_key,
        review_decision as decision

    from sample_reviews
    where frame = 'commits'

),

{{ stratified_sample('population', 'reviews') }}

select * from final
