-- The labels that feed the results: an adjudication file's labels when the item has one, otherwise
-- the raters' labels when at least two raters gave exactly the same label set; other items stay
-- unresolved until adjudicated.
with

labels as (

    select * from {{ ref('stg_annotations__labels') }}

),

adjudicated as (

    select distinct
        frame,
        item_key,
        label

    from labels
    where is_adjudication

),

rater_sets as (

    select
        frame,
        item_key,
        rater,
        list_sort(list(distinct label)) as label_set

    from labels
    where not is_adjudication
    group by frame, item_key, rater

),

agreed_items as (

    select
        frame,
        item_key,
        any_value(label_set) as label_set

    from rater_sets
    group by frame, item_key
    having count(*) >= 2 and count(distinct label_set) = 1

),

agreed as (

    select
        agreed_items.frame,
        agreed_items.item_key,
        unnest(agreed_items.label_set) as label

    from agreed_items
    where not exists (
        select 1 from adjudicated
        where adjudicated.frame = agreed_items.frame and adjudicated.item_key = agreed_items.item_key
    )

),

final as (

    select
        frame || '|' || item_key || '|' || label as final_label_key,
        frame,
        item_key,
        label,
        'adjudication' as label_source

    from adjudicated
    union all
    select
        frame || '|' || item_key || '|' || label as final_label_key,
        frame,
        item_key,
        label,
        'agreement' as label_source

    from agreed

)

select * from final
