-- The labelled sample of RQ2 (macros/frame_sampling.sql).
{{ frame_sample('issues') }}
