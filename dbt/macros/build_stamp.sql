{#- Every mart says which build computed it and with which study parameters, so a table left behind
    by an earlier build (or by a failed one) can never pass for a fresh one. -#}

{#- The documented study parameters (dbt_project.yml `vars:`); tests/dbt checks the two lists agree. -#}
{% macro study_parameter_names() -%}
    {{ return([
        'snapshot_date', 'min_age_years', 'min_commits', 'max_days_since_last_push', 'min_stars',
        'contributors_more_than', 'keyword_match_mode', 'sample_confidence', 'sample_margin',
        'sample_proportion', 'apply_finite_population_correction', 'sample_z_score',
        'sampling_seed', 'issue_frame_filter', 'interval_confidence',
    ]) }}
{%- endmacro %}

{% macro study_parameters_json() -%}
    {%- set parameters = {} -%}
    {%- for name in study_parameter_names() -%}
        {%- do parameters.update({name: var(name)}) -%}
    {%- endfor -%}
    {{ return(tojson(parameters, sort_keys=true)) }}
{%- endmacro %}

{#- Three columns appended to a mart's final select: the dbt invocation that built it, when, and the
    study parameters it was computed with (JSON). -#}
{% macro build_stamp() -%}
    {#- Read when the build runs, not when dbt parses: an environment variable read while parsing
        marks every mart for re-parsing whenever it changes, and the build id changes every build. -#}
    '{{ env_var("MMS_BUILD_ID", invocation_id) if execute else invocation_id }}' as build_id,
    cast('{{ run_started_at.isoformat() }}' as timestamptz) as built_at,
    cast('{{ study_parameters_json() | replace("'", "''") }}' as json) as study_parameters
{%- endmacro %}
