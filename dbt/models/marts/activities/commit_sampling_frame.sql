-- The RQ1 sampling frame: every drawn model-file commit (macros/frame_sampling.sql).
{{ sampling_frame('commits', [
    'commit_hash', 'commit_url', 'message', 'insertions', 'deletions', 'files_modified',
    'model_file_count', 'matched_keywords',
]) }}
