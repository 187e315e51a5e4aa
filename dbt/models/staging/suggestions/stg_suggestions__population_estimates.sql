with

source as (

    select * from {{ source('suggestions', 'population_estimates') }}

),

renamed as (

    select
        frame || '|' || level || '|' || name || '|' || coalesce(year::varchar, 'all') as estimate_key,
        frame,
        level,
        name,
        year,
        status as estimate_status,
        estimate,
        ci_lower,
        ci_upper,
        ci_width,
        power_tuning,
        sample_estimate,
        sample_ci_lower,
        sample_ci_upper,
        sample_ci_width,
        prediction_only_share,
        interval_method,
        model_note,
        confidence,
        labelled_items,
        labelled_in_domain,
        ml_related_labelled_in_domain,
        frame_items_in_domain,
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
