with

sampling_frame as (

    select * from {{ ref('commit_sampling_frame') }}

),

item_status as (

    select * from {{ ref('int_labels__item_status') }}
    where frame = 'commits'

),

final as (

    select
        -- the frame is a mart: its build stamp is replaced by this one's below
        sampling_frame.* exclude (is_rejected, in_sample, build_id, built_at, study_parameters),  -- noqa: RF02
        coalesce(item_status.rater_count, 0) as rater_count,
        item_status.labels,
        item_status.label_source,
        coalesce(item_status.label_status, 'pending') as label_status

    from sampling_frame
    left join item_status on sampling_frame.commit_key = item_status.item_key
    where sampling_frame.in_sample

)

select
    final.*,
    {{ build_stamp() }}

from final
