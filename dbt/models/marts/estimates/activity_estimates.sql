-- RQ1 over the whole frame: the share of each activity and category among the activity
-- occurrences of ML-related model-file commits, prediction-powered (suggester + labelled sample),
-- beside the sample-only intervals: the same estimand from the labelled items alone (design-
-- weighted) and the Wilson interval of activity_distribution (Table 5). docs/method.md defines the
-- estimand and says what the numbers do not mean.
with

taxonomy as (

    select * from {{ ref('activity_taxonomy') }}

),

distribution as (

    select * from {{ ref('activity_distribution') }}

),

estimates as (

    select * from {{ ref('stg_suggestions__population_estimates') }}
    where frame = 'commits' and year is null

),

status as (

    select * from {{ ref('suggestion_status') }}
    where frame = 'commits'

),

quantities as (

    select
        'activity' as level,
        distribution.activity as name,
        distribution.category,
        distribution.share as wilson_share,
        distribution.share_ci_lower as wilson_ci_lower,
        distribution.share_ci_upper as wilson_ci_upper,
        taxonomy.study_share_pct

    from distribution
    inner join taxonomy on distribution.activity = taxonomy.activity
    union all
    select distinct
        'category' as level,
        distribution.category as name,
        distribution.category,
        distribution.category_share as wilson_share,
        distribution.category_share_ci_lower as wilson_ci_lower,
        distribution.category_share_ci_upper as wilson_ci_upper,
        taxonomy.study_category_share_pct as study_share_pct

    from distribution
    inner join taxonomy on distribution.category = taxonomy.category
    union all
    select
        'ml_related' as level,
        'ML-related' as name,
        null as category,
        null as wilson_share,
        null as wilson_ci_lower,
        null as wilson_ci_upper,
        null as study_share_pct

),

final as (

    select
        quantities.level,
        quantities.name,
        quantities.category,
        estimates.estimate,
        estimates.ci_lower,
        estimates.ci_upper,
        estimates.ci_width,
        estimates.sample_estimate,
        estimates.sample_ci_lower,
        estimates.sample_ci_upper,
        estimates.sample_ci_width,
        quantities.wilson_share,
        quantities.wilson_ci_lower,
        quantities.wilson_ci_upper,
        quantities.wilson_ci_upper - quantities.wilson_ci_lower as wilson_ci_width,
        estimates.ci_width
        / nullif(quantities.wilson_ci_upper - quantities.wilson_ci_lower, 0) as width_ratio_to_wilson,
        estimates.prediction_only_share,
        estimates.power_tuning,
        estimates.confidence,
        estimates.labelled_items,
        estimates.frame_items_in_domain as frame_items,
        quantities.study_share_pct,
        coalesce(estimates.estimate_status, status.suggester_status_reason) as estimate_status,
        status.is_stale,
        status.stale_reason,
        status.is_sample_data,
        estimates.model_version,
        estimates.training_items,
        estimates.computed_at

    from quantities
    cross join status
    left join estimates on quantities.level = estimates.level and quantities.name = estimates.name
    order by
        case quantities.level when 'category' then 1 when 'activity' then 2 else 3 end asc,
        estimates.estimate desc nulls last,
        quantities.name asc

)

select
    final.*,
    {{ build_stamp() }}

from final
