-- Table 3: the commit sample's diff sizes beside the study's (macros/study_statistics.sql).
{{ statistics_beside_study(ref('commit_sample'), 'table_3', [
    ['deleted_lines', 'deletions'], ['added_lines', 'insertions'], ['files', 'files_modified'],
]) }}
