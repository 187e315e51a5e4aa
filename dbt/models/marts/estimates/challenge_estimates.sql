-- RQ2 over the whole frame: the share of each challenge among the challenge occurrences of
-- ML-related closed issues, prediction-powered, beside the sample-only intervals (design-weighted,
-- and the Wilson interval of challenge_distribution, Table 6). docs/method.md defines the estimand.
with

taxonomy as (

    select * from {{ ref('challenge_taxonomy') }}

),

distribution as (

    select * from {{ ref('challenge_distribution') }}

),

estimates as (

    select * from {{ ref('stg_suggestions__population_estimates') }}
    where frame = 'issues' and year is null

),

status as (

    select * from {{ ref('suggestion_status') }}
    where frame = 'issues'

),

quantities as (

    select
        'challenge' as level,
        distribution.challenge as name,
        distribution.share as wilson_share,
        distribution.share_ci_lower as wilson_ci_lower,
        distribution.share_ci_upper as wilson_ci_upper,
        taxonomy.study_share_pct

    from distribution
    inner join taxonomy on distribution.challenge = taxonomy.challenge
    union all
    select
        'ml_related' as level,
        'ML-related' as name,
        null as wilson_share,
        null as wilson_ci_lower,
        null as wilson_ci_upper,
        null as study_share_pct

),

final as (

    select
        quantities.level,
        quantities.name,
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
        case quantities.level when 'challenge' then 1 else 2 end asc,
        estimates.estimate desc nulls last,
        quantities.name asc

)

select
    final.*,
    {{ build_stamp() }}

from final
