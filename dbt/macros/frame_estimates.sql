{#- The label suggester's prediction-powered estimates over a whole frame (macros/frames.sql),
    computed by analysis/ into the landing zone, beside the sample-only intervals. docs/method.md
    ("Population estimates") defines the estimand. -#}

{#- The columns every estimate row carries, after its quantity. -#}
{% macro estimate_columns() -%}
        estimates.estimate,
        estimates.ci_lower,
        estimates.ci_upper,
        estimates.ci_width,
        estimates.sample_estimate,
        estimates.sample_ci_lower,
        estimates.sample_ci_upper,
        estimates.sample_ci_width
{%- endmacro %}

{#- What the suggester did to an estimate row: its uncorrected share, the PPI++ weight, the
    interval's method, a plain note, and the interval's width against the sample-only one of the
    same estimator and design (the model's own gain). -#}
{% macro model_effect_columns() -%}
        estimates.prediction_only_share,
        estimates.power_tuning,
        estimates.interval_method,
        estimates.model_note,
        estimates.ci_width / nullif(estimates.sample_ci_width, 0) as width_ratio_to_sample,
        estimates.confidence
{%- endmacro %}

{#- One row per label, label group and the ML-related share: the estimate over the whole frame, the
    design-weighted sample-only estimate and the Wilson interval of the label distribution, with
    the suggester's status (why a row has no estimate, whether it is stale). -#}
{% macro frame_estimates(frame) -%}
    {%- set spec = frame_spec(frame) -%}
    {%- set groups = spec.label_groups -%}
with

taxonomy as (

    select * from {{ ref(spec.taxonomy) }}

),

distribution as (

    select * from {{ ref(spec.distribution) }}

),

estimates as (

    select * from {{ ref('stg_suggestions__population_estimates') }}
    where frame = '{{ spec.frame }}' and year is null

),

status as (

    select * from {{ ref('suggestion_status') }}
    where frame = '{{ spec.frame }}'

),

quantities as (

    select
        '{{ spec.label }}' as level,
        distribution.{{ spec.label }} as name,
        {%- for group in groups %}
        distribution.{{ group }},
        {%- endfor %}
        distribution.share as wilson_share,
        distribution.share_ci_lower as wilson_ci_lower,
        distribution.share_ci_upper as wilson_ci_upper,
        taxonomy.study_share_pct

    from distribution
    inner join taxonomy on distribution.{{ spec.label }} = taxonomy.{{ spec.label }}
    {%- for group in groups %}
    union all
    select distinct
        '{{ group }}' as level,
        distribution.{{ group }} as name,
        {%- for other in groups %}
        {{ 'distribution.' ~ other if other == group else 'null as ' ~ other }},
        {%- endfor %}
        distribution.{{ group }}_share as wilson_share,
        distribution.{{ group }}_share_ci_lower as wilson_ci_lower,
        distribution.{{ group }}_share_ci_upper as wilson_ci_upper,
        taxonomy.study_{{ group }}_share_pct as study_share_pct

    from distribution
    inner join taxonomy on distribution.{{ group }} = taxonomy.{{ group }}
    {%- endfor %}
    union all
    select
        'ml_related' as level,
        'ML-related' as name,
        {%- for group in groups %}
        null as {{ group }},
        {%- endfor %}
        null as wilson_share,
        null as wilson_ci_lower,
        null as wilson_ci_upper,
        null as study_share_pct

),

final as (

    select
        quantities.level,
        quantities.name,
        {%- for group in groups %}
        quantities.{{ group }},
        {%- endfor %}
        {{ estimate_columns() }},
        quantities.wilson_share,
        quantities.wilson_ci_lower,
        quantities.wilson_ci_upper,
        quantities.wilson_ci_upper - quantities.wilson_ci_lower as wilson_ci_width,
        estimates.ci_width
        / nullif(quantities.wilson_ci_upper - quantities.wilson_ci_lower, 0) as width_ratio_to_wilson,
        {{ model_effect_columns() }},
        estimates.labelled_items,
        estimates.frame_items_in_domain as frame_items,
        quantities.study_share_pct,
        coalesce(estimates.estimate_status, status.suggester_status_reason) as estimate_status,
        status.is_stale,
        status.stale_reason,
        status.is_sample_data,
        estimates.model_version,
        estimates.training_items,
        estimates.computed_at

    from quantities
    cross join status
    left join estimates on quantities.level = estimates.level and quantities.name = estimates.name
    order by
        -- the groups (categories) first, then the labels, then the ML-related share
        case quantities.level
            {%- for group in groups %}
            when '{{ group }}' then {{ loop.index }}
            {%- endfor %}
            when '{{ spec.label }}' then {{ groups | length + 1 }}
            else {{ groups | length + 2 }}
        end asc,
        estimates.estimate desc nulls last,
        quantities.name asc

)

select
    final.*,
    {{ build_stamp() }}

from final
{%- endmacro %}

{#- The same estimates per year of the frame's items (a domain of the frame): which labels grow. A
    year with fewer labelled items than analysis.population.MIN_LABELLED_IN_DOMAIN has no
    interval, and its estimate_status says so. -#}
{% macro frame_trends(frame) -%}
    {%- set spec = frame_spec(frame) -%}
with

estimates as (

    select * from {{ ref('stg_suggestions__population_estimates') }}
    where frame = '{{ spec.frame }}' and year is not null

),

status as (

    select * from {{ ref('suggestion_status') }}
    where frame = '{{ spec.frame }}'

),

final as (

    select
        estimates.year as {{ spec.year }},
        estimates.level,
        estimates.name,
        {{ estimate_columns() }},
        {{ model_effect_columns() }},
        estimates.labelled_in_domain as labelled_items_in_year,
        estimates.frame_items_in_domain as frame_items_in_year,
        estimates.estimate_status,
        status.is_stale,
        status.stale_reason,
        status.is_sample_data,
        estimates.model_version,
        estimates.computed_at

    from estimates
    cross join status
    order by estimates.level, estimates.name, estimates.year

)

select
    final.*,
    {{ build_stamp() }}

from final
{%- endmacro %}
