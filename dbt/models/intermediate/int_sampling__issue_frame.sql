{%- set issue_frame_filter = var('issue_frame_filter') -%}
{%- if issue_frame_filter not in ['all_closed', 'assigned_and_labelled'] -%}
    {{ exceptions.raise_compiler_error("var issue_frame_filter must be 'all_closed' or 'assigned_and_labelled', got '" ~ issue_frame_filter ~ "'") }}
{%- endif -%}

-- The RQ2 draws: the closed issues of the selected projects, stratified by project
-- (macros/frame_sampling.sql); under 'assigned_and_labelled', the reading of the study's Table 4
-- (minimum 1 assignee, 1 label: docs/method.md), only those with both.
{{ frame_draws('issues', where=(
    'assignee_count >= 1 and label_count >= 1' if issue_frame_filter == 'assigned_and_labelled' else none
)) }}
