-- The suggester's cross-validated agreement with the adjudicated labels (folds by project), beside
-- the raters' own Cohen's kappa: a suggestion is worth as much as this says, no more.
with

evaluations as (

    select * from {{ ref('stg_suggestions__suggester_evaluations') }}

),

raters as (

    select * from {{ ref('rater_agreement') }}

),

status as (

    select * from {{ ref('suggestion_status') }}

),

rater_kappa as (

    select
        frame,
        count(*) as rater_pairs,
        min(cohen_kappa) as rater_kappa_min,
        avg(cohen_kappa) as rater_kappa_mean

    from raters
    group by frame

),

final as (

    select
        evaluations.frame,
        evaluations.metric_scope,
        evaluations.label,
        evaluations.suggester_status,
        evaluations.suggester_status_reason,
        evaluations.evaluated_items,
        evaluations.instances,
        evaluations.support,
        evaluations.predicted,
        evaluations.precision,
        evaluations.recall,
        evaluations.f1,
        evaluations.cohen_kappa,
        evaluations.cohen_kappa_none_pairs,
        evaluations.exact_set_agreement,
        rater_kappa.rater_pairs,
        rater_kappa.rater_kappa_min,
        rater_kappa.rater_kappa_mean,
        evaluations.folds,
        status.is_stale,
        status.stale_reason,
        status.is_sample_data,
        evaluations.model_version,
        evaluations.training_items,
        evaluations.computed_at

    from evaluations
    inner join status on evaluations.frame = status.frame
    left join rater_kappa on evaluations.frame = rater_kappa.frame

)

select
    final.*,
    {{ build_stamp() }}

from final
