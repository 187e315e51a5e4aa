with

source as (

    select * from {{ source('suggestions', 'label_suggestions') }}

),

renamed as (

    select
        frame || '|' || item_key as suggestion_key,
        frame,
        item_key,
        repo_id,
        suggested_labels,
        label_probabilities,
        top_probability,
        ml_related_probability,
        uncertainty,
        model_version,
        training_items,
        seed,
        folds,
        labels_fingerprint,
        frame_fingerprint,
        source_build_id,
        computed_at

    from source

)

select * from renamed
