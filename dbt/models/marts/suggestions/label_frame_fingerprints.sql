-- One row per frame: a fingerprint of the frame's items and one of what people decided about them.
-- analysis/ stores both with its results; the estimate marts compare them with these to tell
-- current results from stale ones. md5 over the sorted keys: the same inputs, the same text.
with

commit_frame as (

    select * from {{ ref('commit_label_frame') }}

),

issue_frame as (

    select * from {{ ref('issue_label_frame') }}

),

items as (

    select
        'commits' as frame,
        commit_key as item_key,
        in_design_sample,
        review_decision,
        final_labels

    from commit_frame
    union all
    select
        'issues' as frame,
        issue_key as item_key,
        in_design_sample,
        review_decision,
        final_labels

    from issue_frame

),

frames as (

    select 'commits' as frame
    union all
    select 'issues' as frame

),

fingerprints as (

    select
        frame,
        count(*) as frame_items,
        count(*) filter (where final_labels is not null) as adjudicated_items,
        count(*) filter (where review_decision is not null) as reviewed_items,
        md5(string_agg(item_key, chr(10) order by item_key)) as frame_fingerprint,
        md5(coalesce(string_agg(
            item_key || '=' || coalesce(array_to_string(list_sort(final_labels), ';'), '')
            || '|' || coalesce(review_decision, '') || '|' || in_design_sample::varchar,
            chr(10) order by item_key
        ) filter (where final_labels is not null or review_decision is not null), '')) as labels_fingerprint

    from items
    group by frame

),

final as (

    select
        frames.frame,
        coalesce(fingerprints.frame_items, 0) as frame_items,
        coalesce(fingerprints.adjudicated_items, 0) as adjudicated_items,
        coalesce(fingerprints.reviewed_items, 0) as reviewed_items,
        coalesce(fingerprints.frame_fingerprint, md5('')) as frame_fingerprint,
        coalesce(fingerprints.labels_fingerprint, md5('')) as labels_fingerprint

    from frames
    left join fingerprints on frames.frame = fingerprints.frame

)

select
    final.*,
    {{ build_stamp() }}

from final
