-- The labelled sample of RQ1 (macros/frame_sampling.sql).
{{ frame_sample('commits') }}
