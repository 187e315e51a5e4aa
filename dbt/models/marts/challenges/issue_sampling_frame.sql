-- The RQ2 sampling frame: every drawn closed issue (macros/frame_sampling.sql).
{{ sampling_frame('issues', [
    'issue_number', 'html_url', 'title', 'body', 'comments_count', 'assignee_count', 'label_count',
    'created_at', 'closed_at', 'closure_days',
]) }}
