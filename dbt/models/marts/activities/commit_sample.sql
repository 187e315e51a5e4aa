with

sampling_frame as (

    select * from {{ ref('commit_sampling_frame') }}

),

final_labels as (

    select * from {{ ref('int_labels__final_labels') }}

),

rater_labels as (

    select * from {{ ref('stg_annotations__labels') }}

),

item_labels as (

    select
        item_key,
        list_sort(list(label)) as labels,
        min(label_source) as label_source,

    from final_labels
    where frame = 'commits'
    group by item_key

),

item_raters as (

    select
        item_key,
        count(distinct rater) filter (where not is_adjudication) as rater_count,

    from rater_labels
    where frame = 'commits'
    group by item_key

),

final as (

    select
        sampling_frame.* exclude (is_rejected, in_sample),
        coalesce(item_raters.rater_count, 0) as rater_count,
        item_labels.labels,
        item_labels.label_source,
        case
            when item_labels.item_key is not null then 'labelled'
            when coalesce(item_raters.rater_count, 0) >= 2 then 'disagreement'
            else 'pending'
        end as label_status,

    from sampling_frame
    left join item_labels on sampling_frame.commit_key = item_labels.item_key
    left join item_raters on sampling_frame.commit_key = item_raters.item_key
    where sampling_frame.in_sample

)

select * from final
