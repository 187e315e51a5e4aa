-- The same prediction-powered shares as challenge_estimates, per year of issue closure, a domain
-- of the frame: which challenges grow. A year with fewer labelled items than
-- analysis.population.MIN_LABELLED_IN_DOMAIN has no interval, and its estimate_status says so.
with

estimates as (

    select * from {{ ref('stg_suggestions__population_estimates') }}
    where frame = 'issues' and year is not null

),

status as (

    select * from {{ ref('suggestion_status') }}
    where frame = 'issues'

),

final as (

    select
        estimates.year as closed_year,
        estimates.level,
        estimates.name,
        estimates.estimate,
        estimates.ci_lower,
        estimates.ci_upper,
        estimates.ci_width,
        estimates.sample_estimate,
        estimates.sample_ci_lower,
        estimates.sample_ci_upper,
        estimates.sample_ci_width,
        estimates.prediction_only_share,
        estimates.power_tuning,
        estimates.confidence,
        estimates.labelled_in_domain as labelled_items_in_year,
        estimates.frame_items_in_domain as frame_items_in_year,
        estimates.estimate_status,
        status.is_stale,
        status.stale_reason,
        status.is_sample_data,
        estimates.model_version,
        estimates.computed_at

    from estimates
    cross join status
    order by estimates.level, estimates.name, estimates.year

)

select
    final.*,
    {{ build_stamp() }}

from final
