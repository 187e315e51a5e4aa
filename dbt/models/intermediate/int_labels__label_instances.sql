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

pair_items as (

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

labels_a as (

    select
        pair_items.*,
        rater_labels.label

    from pair_items
    inner join rater_labels
        on
            pair_items.frame = rater_labels.frame
            and pair_items.item_key = rater_labels.item_key
            and pair_items.rater_a = rater_labels.rater

),

labels_b as (

    select
        pair_items.*,
        rater_labels.label

    from pair_items
    inner join rater_labels
        on
            pair_items.frame = rater_labels.frame
            and pair_items.item_key = rater_labels.item_key
            and pair_items.rater_b = rater_labels.rater

),

agreements as (

    select
        labels_a.frame,
        labels_a.item_key,
        labels_a.rater_a,
        labels_a.rater_b,
        labels_a.label as label_a,
        labels_b.label as label_b

    from labels_a
    inner join labels_b
        on
            labels_a.frame = labels_b.frame
            and labels_a.item_key = labels_b.item_key
            and labels_a.rater_a = labels_b.rater_a
            and labels_a.rater_b = labels_b.rater_b
            and labels_a.label = labels_b.label

),

only_a as (

    select
        *,
        row_number() over (partition by frame, item_key, rater_a, rater_b order by label) as unmatched_rank

    from labels_a
    where not exists (
        select 1 from agreements
        where
            agreements.frame = labels_a.frame
            and agreements.item_key = labels_a.item_key
            and agreements.rater_a = labels_a.rater_a
            and agreements.rater_b = labels_a.rater_b
            and agreements.label_a = labels_a.label
    )

),

only_b as (

    select
        *,
        row_number() over (partition by frame, item_key, rater_a, rater_b order by label) as unmatched_rank

    from labels_b
    where not exists (
        select 1 from agreements
        where
            agreements.frame = labels_b.frame
            and agreements.item_key = labels_b.item_key
            and agreements.rater_a = labels_b.rater_a
            and agreements.rater_b = labels_b.rater_b
            and agreements.label_b = labels_b.label
    )

),

disagreements as (

    select
        coalesce(only_a.frame, only_b.frame) as frame,
        coalesce(only_a.item_key, only_b.item_key) as item_key,
        coalesce(only_a.rater_a, only_b.rater_a) as rater_a,
        coalesce(only_a.rater_b, only_b.rater_b) as rater_b,
        coalesce(only_a.label, '(none)') as label_a,
        coalesce(only_b.label, '(none)') as label_b

    from only_a
    full outer join only_b
        on
            only_a.frame = only_b.frame
            and only_a.item_key = only_b.item_key
            and only_a.rater_a = only_b.rater_a
            and only_a.rater_b = only_b.rater_b
            and only_a.unmatched_rank = only_b.unmatched_rank

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
