-- The prediction-powered shares of challenge_estimates per year of issue closure: which
-- challenges grow (macros/frame_estimates.sql).
{{ frame_trends('issues') }}
