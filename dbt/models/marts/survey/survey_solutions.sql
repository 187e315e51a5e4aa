with

solutions as (

    select * from {{ ref('survey_table8_solutions') }}

),

final as (

    select
        survey_question,
        solution,
        study_reference,
        is_participant_proposed,
        respondents,
        total_respondents,
        respondents / total_respondents::double as share,
        {{ wilson_bound('respondents', 'total_respondents', 'lower') }} as share_ci_lower,
        {{ wilson_bound('respondents', 'total_respondents', 'upper') }} as share_ci_upper,
        study_share_pct

    from solutions

)

select
    final.*,
    {{ build_stamp() }}

from final
