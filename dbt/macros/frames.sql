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

{#- The frame's items, one row per item, as a query: RQ1's model-file commits (the table
    int_commits__model_file_commits), RQ2's closed issues of the selected projects (the crawl lands
    closed issues only) with their closure time. The issues are computed where they are used: as a
    table they would hold every issue's title and body a third time, after stg_github__issues and
    issue_label_frame. -#}
{% macro frame_items(frame) -%}
    {%- if frame_spec(frame).frame == 'commits' %}
    select * from {{ ref('int_commits__model_file_commits') }}
    {%- else %}
    select
        issues.issue_key,
        issues.repo_id,
        issues.issue_number,
        issues.html_url,
        issues.title,
        issues.body,
        issues.labels as github_labels,
        issues.comments_count,
        issues.assignee_count,
        issues.label_count,
        issues.created_at,
        issues.closed_at,
        (epoch(issues.closed_at) - epoch(issues.created_at)) / 86400.0 as closure_days,
        year(issues.closed_at) as closed_year

    from {{ ref('stg_github__issues') }} as issues
    inner join {{ ref('int_selection__projects') }} as projects on issues.repo_id = projects.repo_id
    where projects.selection_status = 'selected'
    {%- endif %}
{%- endmacro %}
