-- RQ2 over the whole frame: the share of each challenge among the challenge occurrences of
-- ML-related closed issues, prediction-powered, beside the sample-only intervals (design-weighted,
-- and the Wilson interval of challenge_distribution, Table 6) (macros/frame_estimates.sql).
{{ frame_estimates('issues') }}
