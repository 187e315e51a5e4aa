with

source as (

    select * from {{ source('suggestions', 'suggester_evaluations') }}

),

renamed as (

    select
        frame || '|' || metric_scope || '|' || coalesce(label, '') as evaluation_key,
        frame,
        metric_scope,
        label,
        status as suggester_status,
        status_reason as suggester_status_reason,
        evaluated_items,
        instances,
        support,
        predicted,
        precision,
        recall,
        f1,
        cohen_kappa,
        cohen_kappa_none_pairs,
        exact_set_agreement,
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
