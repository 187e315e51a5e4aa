-- The prediction-powered shares of activity_estimates per year of commit (authored_at): which
-- activities grow (macros/frame_estimates.sql).
{{ frame_trends('commits') }}
