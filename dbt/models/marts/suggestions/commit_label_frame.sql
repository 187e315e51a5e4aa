-- The RQ1 frame as the label suggester sees it: every model-file commit with its text, modified
-- paths, diff statistics and year, and what people decided about it (macros/frame_labels.sql).
{{ label_frame('commits', [
    'commit_year', 'message', 'changed_paths', 'matched_keywords', 'insertions', 'deletions',
    'files_modified', 'model_file_count',
]) }}
