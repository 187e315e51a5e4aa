-- Table 2 beside this run: each keyword in Table 2's row order with the variants as the study prints
-- them and those searched, and how many model files and model-file commits of the selected projects
-- it matched.
with

keywords as (

    select * from {{ ref('model_file_keywords') }}

),

matches as (

    select * from {{ ref('int_commits__model_file_matches') }}

),

model_file_commits as (

    select * from {{ ref('int_commits__model_file_commits') }}

),

variants as (

    select
        keyword,
        min(table_2_row) as table_2_row,
        -- as Table 2 prints them: in the cell's order, the repeated keyword included
        coalesce(
            list(variant order by table_2_position) filter (where table_2_position is not null),
            []::varchar[]
        ) as printed_variants,
        list_sort(list(variant)) as searched_variants

    from keywords
    group by keyword

),

counts as (

    select
        matches.keyword,
        count(distinct matches.modified_file_key) as model_files,
        count(distinct matches.commit_key) as model_file_commits

    from matches
    inner join model_file_commits on matches.commit_key = model_file_commits.commit_key
    group by matches.keyword

),

final as (

    select
        variants.keyword,
        variants.table_2_row,
        variants.printed_variants,
        variants.searched_variants,
        coalesce(counts.model_files, 0) as model_files,
        coalesce(counts.model_file_commits, 0) as model_file_commits

    from variants
    left join counts on variants.keyword = counts.keyword
    order by variants.table_2_row asc nulls last, variants.keyword asc

)

select
    final.*,
    {{ build_stamp() }}

from final
