with

taxonomy as (

    select * from {{ ref('activity_taxonomy') }}

),

commit_sample as (

    select * from {{ ref('commit_sample') }}

),

final_labels as (

    select * from {{ ref('int_labels__final_labels') }}

),

sample_labels as (

    select final_labels.label as activity
    from final_labels
    inner join commit_sample on final_labels.item_key = commit_sample.commit_key
    where final_labels.frame = 'commits'

),

counts as (

    select
        taxonomy.activity,
        taxonomy.category,
        taxonomy.definition,
        taxonomy.study_share_pct,
        taxonomy.study_category_share_pct,
        count(sample_labels.activity) as occurrences

    from taxonomy
    left join sample_labels on taxonomy.activity = sample_labels.activity
    group by all

),

totals as (

    select
        *,
        sum(occurrences) over () as total_occurrences,
        sum(occurrences) over (partition by category) as category_occurrences

    from counts

),

final as (

    select
        activity,
        category,
        definition,
        occurrences,
        total_occurrences,
        occurrences / nullif(total_occurrences, 0)::double as share,
        {{ wilson_bound('occurrences', 'total_occurrences', 'lower') }} as share_ci_lower,
        {{ wilson_bound('occurrences', 'total_occurrences', 'upper') }} as share_ci_upper,
        category_occurrences,
        category_occurrences / nullif(total_occurrences, 0)::double as category_share,
        {{ wilson_bound('category_occurrences', 'total_occurrences', 'lower') }} as category_share_ci_lower,
        {{ wilson_bound('category_occurrences', 'total_occurrences', 'upper') }} as category_share_ci_upper,
        study_share_pct,
        study_category_share_pct

    from totals
    order by category_occurrences desc, occurrences desc, activity asc

)

select
    final.*,
    {{ build_stamp() }}

from final
