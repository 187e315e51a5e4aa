-- The RQ2 frame as the label suggester sees it: every closed issue of the selected projects with
-- its title, body, GitHub labels and year of closure, and what people decided about it
-- (macros/frame_labels.sql).
{{ label_frame('issues', ['closed_year', 'title', 'body', 'github_labels', 'comments_count']) }}
