-- Table 1: the selected projects' metadata beside the study's (macros/study_statistics.sql).
{{ statistics_beside_study(ref('int_selection__projects'), 'table_1', [
    'commits', 'stars', 'open_issues', 'days_since_last_push', 'contributors', 'forks',
    'watchers_count', 'subscribers_count', 'size_kb', 'age_months',
], where="selection_status = 'selected'") }}
