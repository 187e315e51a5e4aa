with

taxonomy as (

    select * from {{ ref('challenge_taxonomy') }}

),

issue_sample as (

    select * from {{ ref('issue_sample') }}

),

final_labels as (

    select * from {{ ref('int_labels__final_labels') }}

),

sample_labels as (

    select final_labels.label as challenge
    from final_labels
    inner join issue_sample on final_labels.item_key = issue_sample.issue_key
    where final_labels.frame = 'issues'

),

counts as (

    select
        taxonomy.challenge,
        taxonomy.definition,
        taxonomy.survey_question,
        taxonomy.study_share_pct,
        count(sample_labels.challenge) as occurrences

    from taxonomy
    left join sample_labels on taxonomy.challenge = sample_labels.challenge
    group by all

),

totals as (

    select
        *,
        sum(occurrences) over () as total_occurrences

    from counts

),

final as (

    select
        challenge,
        definition,
        occurrences,
        total_occurrences,
        occurrences / nullif(total_occurrences, 0)::double as share,
        {{ wilson_bound('occurrences', 'total_occurrences', 'lower') }} as share_ci_lower,
        {{ wilson_bound('occurrences', 'total_occurrences', 'upper') }} as share_ci_upper,
        study_share_pct,
        survey_question

    from totals
    order by occurrences desc, challenge asc

)

select
    final.*,
    {{ build_stamp() }}

from final
