-- Figure 1's boxes: per challenge, the quartiles of the labelled issues' closure times, the
-- whiskers (the farthest points within Tukey's fences) and the outliers beyond them, beside what
-- the study's text says about the figure.
with

taxonomy as (

    select * from {{ ref('challenge_taxonomy') }}

),

closure_times as (

    select * from {{ ref('labelled_issue_closure_times') }}

),

study as (

    select * from {{ ref('study_closure_times') }}

),

boxes as (

    select
        challenge,
        count(*) as n,
        min(closure_days) as min_days,
        quantile_cont(closure_days, 0.25) as q1_days,
        median(closure_days) as median_days,
        quantile_cont(closure_days, 0.75) as q3_days,
        max(closure_days) as max_days,
        avg(closure_days) as mean_days,
        min(closure_days) filter (where not is_outlier) as lower_whisker_days,
        max(closure_days) filter (where not is_outlier) as upper_whisker_days,
        count(*) filter (where is_outlier) as outlier_count

    from closure_times
    group by challenge

),

final as (

    select
        taxonomy.challenge,
        coalesce(boxes.n, 0) as n,
        boxes.min_days,
        boxes.q1_days,
        boxes.median_days,
        boxes.q3_days,
        boxes.max_days,
        boxes.mean_days,
        boxes.lower_whisker_days,
        boxes.upper_whisker_days,
        coalesce(boxes.outlier_count, 0) as outlier_count,
        study.study_median_days,
        study.study_outlier_days

    from taxonomy
    left join boxes on taxonomy.challenge = boxes.challenge
    left join study on taxonomy.challenge = study.challenge
    order by boxes.median_days desc nulls last, taxonomy.challenge asc

)

select
    final.*,
    {{ build_stamp() }}

from final
