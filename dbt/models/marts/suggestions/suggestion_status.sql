-- One row per frame: were suggestions and estimates computed, from which labels, and are they still
-- current? analysis/ computes them from the previous published build; when the labels, reviews or
-- frame changed since, every estimate of the frame is marked stale (and the sensor
-- suggestions_after_label_changes asks for a new run) instead of passing old numbers off as current.
with

fingerprints as (

    select * from {{ ref('label_frame_fingerprints') }}

),

evaluations as (

    select * from {{ ref('stg_suggestions__suggester_evaluations') }}
    where metric_scope = 'all labels'

),

build as (

    select * from {{ ref('build_info') }}

),

runs as (

    select
        frame,
        any_value(model_version) as model_version,
        any_value(training_items) as training_items,
        any_value(seed) as seed,
        any_value(folds) as folds,
        any_value(labels_fingerprint) as labels_fingerprint,
        any_value(frame_fingerprint) as frame_fingerprint,
        any_value(source_build_id) as source_build_id,
        max(computed_at) as computed_at,
        bool_and(suggester_status = 'ok') as is_ok,
        string_agg(distinct suggester_status_reason, '; ') as reason

    from evaluations
    group by frame

),

final as (

    select
        fingerprints.frame,
        fingerprints.frame_items,
        fingerprints.adjudicated_items,
        fingerprints.reviewed_items,
        runs.frame is not null as has_suggestions,
        case
            when runs.frame is null then 'not_computed'
            when runs.is_ok then 'ok'
            else 'insufficient_labels'
        end as suggester_status,
        case
            when runs.frame is null
                then
                    'no suggestions computed yet: materialize suggestions/label_suggestions '
                    || '(it follows the warehouse build)'
            else runs.reason
        end as suggester_status_reason,
        coalesce(
            runs.labels_fingerprint <> fingerprints.labels_fingerprint
            or runs.frame_fingerprint <> fingerprints.frame_fingerprint,
            false
        ) as is_stale,
        case
            when
                runs.labels_fingerprint <> fingerprints.labels_fingerprint
                and runs.frame_fingerprint <> fingerprints.frame_fingerprint
                then
                    'the labels and the frame changed since the suggestions were computed at '
                    || runs.computed_at::varchar
            when runs.labels_fingerprint <> fingerprints.labels_fingerprint
                then 'labels or reviews changed since the suggestions were computed at ' || runs.computed_at::varchar
            when runs.frame_fingerprint <> fingerprints.frame_fingerprint
                then 'the frame changed since the suggestions were computed at ' || runs.computed_at::varchar
        end as stale_reason,
        runs.computed_at,
        runs.model_version,
        runs.training_items,
        runs.seed,
        runs.folds,
        runs.source_build_id,
        fingerprints.labels_fingerprint,
        runs.labels_fingerprint as computed_labels_fingerprint,
        build.is_sample_data

    from fingerprints
    left join runs on fingerprints.frame = runs.frame
    cross join build

)

select
    final.*,
    {{ build_stamp() }}

from final
