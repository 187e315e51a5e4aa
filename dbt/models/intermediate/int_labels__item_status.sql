with

final_labels as (

    select * from {{ ref('int_labels__final_labels') }}

),

rater_labels as (

    select * from {{ ref('stg_annotations__labels') }}

),

item_labels as (

    select
        frame,
        item_key,
        list_sort(list(label)) as labels,
        min(label_source) as label_source

    from final_labels
    group by frame, item_key

),

item_raters as (

    select
        frame,
        item_key,
        count(distinct rater) filter (where not is_adjudication) as rater_count

    from rater_labels
    group by frame, item_key

),

final as (

    select
        coalesce(item_raters.frame, item_labels.frame) as frame,
        coalesce(item_raters.item_key, item_labels.item_key) as item_key,
        coalesce(item_raters.rater_count, 0) as rater_count,
        item_labels.labels,
        item_labels.label_source,
        case
            when item_labels.item_key is not null then 'labelled'
            when coalesce(item_raters.rater_count, 0) >= 2 then 'disagreement'
            else 'pending'
        end as label_status

    from item_raters
    full outer join item_labels
        on
            item_raters.frame = item_labels.frame
            and item_raters.item_key = item_labels.item_key

)

select * from final
