{#- The study's two frames: RQ1's model-file commits, labelled with activities, and RQ2's closed
    issues, labelled with challenges. Every concept built on a frame (its draws, sampling frame,
    sample, label frame, label distribution, estimates and trends) is one macro taking the frame's
    name; this is the one place that says how the frames differ. docs/method.md, "Two frames, one
    definition". -#}
{% macro frame_spec(frame) -%}
    {%- set frames = {
        'commits': {
            'frame': 'commits',
            'key': 'commit_key',
            'item_model': 'int_commits__model_file_commits',
            'draws': 'int_sampling__commit_frame',
            'sampling_frame': 'commit_sampling_frame',
            'sample': 'commit_sample',
            'taxonomy': 'activity_taxonomy',
            'label': 'activity',
            'label_groups': ['category'],
            'study_columns': ['study_share_pct', 'study_category_share_pct'],
            'distribution': 'activity_distribution',
            'year': 'commit_year',
        },
        'issues': {
            'frame': 'issues',
            'key': 'issue_key',
            'item_model': 'int_issues__closed_issues',
            'draws': 'int_sampling__issue_frame',
            'sampling_frame': 'issue_sampling_frame',
            'sample': 'issue_sample',
            'taxonomy': 'challenge_taxonomy',
            'label': 'challenge',
            'label_groups': [],
            'study_columns': ['study_share_pct', 'survey_question'],
            'distribution': 'challenge_distribution',
            'year': 'closed_year',
        },
    } -%}
    {%- if frame not in frames -%}
        {{ exceptions.raise_compiler_error(
            "frame must be one of " ~ (frames.keys() | list) ~ ", got '" ~ frame ~ "'"
        ) }}
    {%- endif -%}
    {{ return(frames[frame]) }}
{%- endmacro %}
