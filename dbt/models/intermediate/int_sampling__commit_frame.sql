-- The RQ1 draws: every model-file commit, stratified by project (macros/frame_sampling.sql).
{{ frame_draws('commits') }}
