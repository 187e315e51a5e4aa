-- Table 4: the issue sample's comments, assignees, labels and age beside the study's
-- (macros/study_statistics.sql).
{{ statistics_beside_study(ref('issue_sample'), 'table_4', [
    ['comments', 'comments_count'], ['assignees', 'assignee_count'], ['labels', 'label_count'],
    ['age_days', 'closure_days'],
]) }}
