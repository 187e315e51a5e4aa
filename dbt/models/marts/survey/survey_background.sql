with

background as (

    select * from {{ ref('survey_table7_background') }}

),

final as (

    select
        dimension,
        answer,
        respondents,
        total_respondents,
        respondents / total_respondents::double as share,
        {{ wilson_bound('respondents', 'total_respondents', 'lower') }} as share_ci_lower,
        {{ wilson_bound('respondents', 'total_respondents', 'upper') }} as share_ci_upper,
        study_share_pct

    from background

)

select
    final.*,
    {{ build_stamp() }}

from final
