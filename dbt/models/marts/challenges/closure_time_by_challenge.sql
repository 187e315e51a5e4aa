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

labelled_issues as (

    -- an issue with two challenges appears in both boxes, as in Figure 1
    select
        final_labels.label as challenge,
        issue_sample.closure_days

    from final_labels
    inner join issue_sample on final_labels.item_key = issue_sample.issue_key
    where final_labels.frame = 'issues'

),

final as (

    select
        taxonomy.challenge,
        count(labelled_issues.closure_days) as n,
        min(labelled_issues.closure_days) as min_days,
        quantile_cont(labelled_issues.closure_days, 0.25) as q1_days,
        median(labelled_issues.closure_days) as median_days,
        quantile_cont(labelled_issues.closure_days, 0.75) as q3_days,
        max(labelled_issues.closure_days) as max_days,
        avg(labelled_issues.closure_days) as mean_days

    from taxonomy
    left join labelled_issues on taxonomy.challenge = labelled_issues.challenge
    group by taxonomy.challenge
    order by median_days desc nulls last, taxonomy.challenge asc

)

select
    final.*,
    {{ build_stamp() }}

from final
