-- RQ1 over the whole frame: the share of each activity and category among the activity
-- occurrences of ML-related model-file commits, prediction-powered (suggester + labelled sample),
-- beside the sample-only intervals: the same estimand from the labelled items alone (design-
-- weighted) and the Wilson interval of activity_distribution (Table 5). docs/method.md defines the
-- estimand and says what the numbers do not mean (macros/frame_estimates.sql).
{{ frame_estimates('commits') }}
