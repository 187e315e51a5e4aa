-- Multi-label -> multi-instance (the study turns each commit's label sets into single-label
-- instances before Cohen's kappa). For every pair of raters and every item both labelled:
-- one agreeing instance per label both gave; the labels only one gave are paired in alphabetical
-- order, and the longer side's surplus is paired with '(none)'.
with

labels as (

    select * from {{ ref('stg_annotations__labels') }}

),

rater_labels as (

    select distinct
        frame,
        item_key,
        rater,
        label

    from labels
    where not is_adjudication

),

rater_items as (

    select distinct
        frame,
        item_key,
        rater

    from rater_labels

),

rater_pairs as (

    select
        rater_a.frame,
        rater_a.item_key,
        rater_a.rater as rater_a,
        rater_b.rater as rater_b

    from rater_items as rater_a
    inner join rater_items as rater_b
        on
            rater_a.frame = rater_b.frame
            and rater_a.item_key = rater_b.item_key
            and rater_a.rater < rater_b.rater

),

pair_labels as (

    -- every label either rater of a pair gave the item, and which of the two gave it
    select
        rater_pairs.frame,
        rater_pairs.item_key,
        rater_pairs.rater_a,
        rater_pairs.rater_b,
        rater_labels.label,
        bool_or(rater_labels.rater = rater_pairs.rater_a) as given_by_a,
        bool_or(rater_labels.rater = rater_pairs.rater_b) as given_by_b

    from rater_pairs
    inner join rater_labels
        on
            rater_pairs.frame = rater_labels.frame
            and rater_pairs.item_key = rater_labels.item_key
            and rater_labels.rater in (rater_pairs.rater_a, rater_pairs.rater_b)
    group by all

),

agreements as (

    select
        frame,
        item_key,
        rater_a,
        rater_b,
        label as label_a,
        label as label_b

    from pair_labels
    where given_by_a and given_by_b

),

unmatched as (

    -- the labels only one rater gave, ranked alphabetically on each rater's side
    select
        *,
        row_number() over (
            partition by frame, item_key, rater_a, rater_b, given_by_a order by label
        ) as unmatched_rank

    from pair_labels
    where given_by_a <> given_by_b

),

disagreements as (

    -- the n-th unmatched label of rater_a meets the n-th of rater_b, or '(none)' past the shorter side
    select
        frame,
        item_key,
        rater_a,
        rater_b,
        coalesce(any_value(label) filter (where given_by_a), '(none)') as label_a,
        coalesce(any_value(label) filter (where given_by_b), '(none)') as label_b

    from unmatched
    group by frame, item_key, rater_a, rater_b, unmatched_rank

),

instances as (

    select * from agreements
    union all
    select * from disagreements

),

final as (

    select
        frame || '|' || item_key || '|' || rater_a || '|' || rater_b || '|' || label_a || '|' || label_b
            as instance_key,
        frame,
        item_key,
        rater_a,
        rater_b,
        label_a,
        label_b,
        label_a = label_b as is_agreement

    from instances

)

select * from final
