-- Cohen's kappa per frame and pair of raters over the multi-instance form of the labels
-- (int_labels__label_instances): kappa = (p_o - p_e) / (1 - p_e), with p_e from each rater's
-- marginal label frequencies, which is what scikit-learn's cohen_kappa_score computes.
with

instances as (

    select * from {{ ref('int_labels__label_instances') }}

),

study as (

    select * from {{ ref('study_rater_agreement') }}

),

pair_totals as (

    select
        frame,
        rater_a,
        rater_b,
        count(*) as instance_count,
        count(distinct item_key) as item_count,
        avg(case when is_agreement then 1.0 else 0.0 end) as observed_agreement

    from instances
    group by frame, rater_a, rater_b

),

marginals_a as (

    select
        frame,
        rater_a,
        rater_b,
        label_a as label,
        count(*) as count_a
    from instances
    group by all

),

marginals_b as (

    select
        frame,
        rater_a,
        rater_b,
        label_b as label,
        count(*) as count_b
    from instances
    group by all

),

expected as (

    select
        marginals_a.frame,
        marginals_a.rater_a,
        marginals_a.rater_b,
        sum(marginals_a.count_a * marginals_b.count_b)::double as chance_pairs

    from marginals_a
    inner join marginals_b
        on
            marginals_a.frame = marginals_b.frame
            and marginals_a.rater_a = marginals_b.rater_a
            and marginals_a.rater_b = marginals_b.rater_b
            and marginals_a.label = marginals_b.label
    group by all

),

final as (

    select
        pair_totals.frame,
        pair_totals.rater_a,
        pair_totals.rater_b,
        pair_totals.item_count,
        pair_totals.instance_count,
        pair_totals.observed_agreement,
        coalesce(expected.chance_pairs, 0) / power(pair_totals.instance_count, 2) as expected_agreement,
        (pair_totals.observed_agreement - coalesce(expected.chance_pairs, 0) / power(pair_totals.instance_count, 2))
        / nullif(1 - coalesce(expected.chance_pairs, 0) / power(pair_totals.instance_count, 2), 0) as cohen_kappa,
        study.study_cohen_kappa

    from pair_totals
    left join expected
        on
            pair_totals.frame = expected.frame
            and pair_totals.rater_a = expected.rater_a
            and pair_totals.rater_b = expected.rater_b
    left join study on pair_totals.frame = study.frame

)

select
    final.*,
    {{ build_stamp() }}

from final
