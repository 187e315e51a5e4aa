-- Figure 1's points: one row per labelled issue of the sample and challenge (an issue with two
-- challenges is in both boxes), flagged as an outlier when it lies beyond Tukey's fences of its
-- challenge's box (1.5 interquartile ranges below the first or above the third quartile), the rule
-- box plots (matplotlib's included) draw their whiskers by.
with

issue_sample as (

    select * from {{ ref('issue_sample') }}

),

final_labels as (

    select * from {{ ref('int_labels__final_labels') }}

),

labelled_issues as (

    select
        issue_sample.issue_key,
        issue_sample.repo_id,
        issue_sample.html_url,
        final_labels.label as challenge,
        issue_sample.closure_days

    from final_labels
    inner join issue_sample on final_labels.item_key = issue_sample.issue_key
    where final_labels.frame = 'issues'

),

boxes as (

    select
        challenge,
        quantile_cont(closure_days, 0.25) as q1_days,
        quantile_cont(closure_days, 0.75) as q3_days

    from labelled_issues
    group by challenge

),

final as (

    select
        labelled_issues.issue_key || '|' || labelled_issues.challenge as issue_challenge_key,
        labelled_issues.issue_key,
        labelled_issues.repo_id,
        labelled_issues.html_url,
        labelled_issues.challenge,
        labelled_issues.closure_days,
        labelled_issues.closure_days < boxes.q1_days - 1.5 * (boxes.q3_days - boxes.q1_days)
        or labelled_issues.closure_days > boxes.q3_days + 1.5 * (boxes.q3_days - boxes.q1_days) as is_outlier

    from labelled_issues
    inner join boxes on labelled_issues.challenge = boxes.challenge

)

select
    final.*,
    {{ build_stamp() }}

from final
