-- The suggester's labels for every frame item (never a rater's label): what
-- `mms-extract annotations export-*` puts in its suggested_labels column.
with

suggestions as (

    select * from {{ ref('stg_suggestions__label_suggestions') }}

),

status as (

    select * from {{ ref('suggestion_status') }}

),

final as (

    select
        suggestions.frame,
        suggestions.item_key,
        suggestions.repo_id,
        suggestions.suggested_labels,
        array_to_string(suggestions.suggested_labels, '; ') as suggested_labels_text,
        suggestions.label_probabilities,
        suggestions.top_probability,
        suggestions.ml_related_probability,
        suggestions.uncertainty,
        status.is_stale,
        status.stale_reason,
        status.is_sample_data,
        suggestions.model_version,
        suggestions.training_items,
        suggestions.computed_at

    from suggestions
    inner join status on suggestions.frame = status.frame

)

select
    final.*,
    {{ build_stamp() }}

from final
