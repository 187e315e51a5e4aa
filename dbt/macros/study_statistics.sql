{#- Statistics the study's method needs, as SQL expressions so every model computes them the same way. -#}

{#- Two-sided critical value for a confidence level, named by the var that holds it. The probit is
    normal_quantile, Python's statistics.NormalDist().inv_cdf registered by the dbt-duckdb plugin
    warehouse/dbt_plugin.py (DuckDB has none). -#}
{% macro z_for_confidence(confidence_var) -%}
    {%- set confidence = var(confidence_var) -%}
    {%- if confidence is not number or confidence is boolean or not (0 < confidence < 1) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ confidence_var ~ " must be a number between 0 and 1 (exclusive), got '" ~ confidence ~ "'"
        ) }}
    {%- endif -%}
    normal_quantile((1 + {{ confidence }}) / 2)
{%- endmacro %}

{#- The z of the sample size: the study's rounded 1.96 unless sample_z_score is null. -#}
{% macro sample_z_score() -%}
    {%- if var('sample_z_score') is none -%}
        {{ z_for_confidence('sample_confidence') }}
    {%- else -%}
        cast({{ var('sample_z_score') }} as double)
    {%- endif -%}
{%- endmacro %}

{#- Cochran's sample size n0 = z^2 p (1 - p) / e^2, optionally with the finite-population correction
    n = n0 / (1 + (n0 - 1) / N), rounded up. Rounded to 9 decimals first so that float noise
    (100.00000000000001) does not add an item. -#}
{% macro cochran_sample_size(population_size) -%}
    {%- set n0 -%}
        (power({{ sample_z_score() }}, 2) * {{ var('sample_proportion') }} * (1 - {{ var('sample_proportion') }})
         / power({{ var('sample_margin') }}, 2))
    {%- endset -%}
    {%- if var('apply_finite_population_correction') -%}
        cast(ceil(round({{ n0 }} / (1 + ({{ n0 }} - 1) / nullif({{ population_size }}, 0)), 9)) as bigint)
    {%- else -%}
        cast(ceil(round({{ n0 }}, 9)) as bigint)
    {%- endif -%}
{%- endmacro %}

{#- Wilson score interval of a proportion k / n at var('interval_confidence'); null when n = 0. -#}
{% macro wilson_bound(successes, trials, side) -%}
    {%- set z = z_for_confidence('interval_confidence') -%}
    {%- set sign = '-' if side == 'lower' else '+' -%}
    (case when ({{ trials }}) > 0 then
        (
            (({{ successes }}) / ({{ trials }})::double + power({{ z }}, 2) / (2 * ({{ trials }})))
            {{ sign }} {{ z }} * sqrt(
                (({{ successes }}) / ({{ trials }})::double) * (1 - ({{ successes }}) / ({{ trials }})::double) / ({{ trials }})
                + power({{ z }}, 2) / (4 * power(({{ trials }}), 2))
            )
        ) / (1 + power({{ z }}, 2) / ({{ trials }}))
    end)
{%- endmacro %}

{#- One row per measure: n, mean, sample standard deviation, min, median, max (Tables 1, 3 and 4). -#}
{% macro descriptive_statistics(relation, measures) -%}
    {%- for measure in measures %}
    select
        '{{ measure }}' as measure,
        {{ loop.index }} as measure_order,
        count({{ measure }}) as n,
        avg({{ measure }})::double as mean,
        stddev_samp({{ measure }})::double as std,
        min({{ measure }})::double as min,
        median({{ measure }}::double) as median,
        max({{ measure }})::double as max
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif -%}
    {%- endfor %}
{%- endmacro %}

{#- Tables 1, 3 and 4 beside the study's values: descriptive_statistics of `measures` over the rows
    of `relation` meeting `where`, joined to the study's row of each measure (seed
    study_descriptive_statistics, table `study_table`). A measure is a column name, or a pair
    [measure, expression] when the study names the column otherwise. -#}
{% macro statistics_beside_study(relation, study_table, measures, where=none) -%}
    {%- set names = [] -%}
    {%- for measure in measures -%}
        {%- do names.append(measure if measure is string else measure[0]) -%}
    {%- endfor -%}
with

measured_items as (

    select * from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}

),

study as (

    select * from {{ ref('study_descriptive_statistics') }}
    where study_table = '{{ study_table }}'

),

measured as (

    select
        {%- for measure in measures %}
        {{ measure if measure is string else measure[1] ~ ' as ' ~ measure[0] }}{{ ',' if not loop.last }}
        {%- endfor %}

    from measured_items

),

statistics as (

    {{ descriptive_statistics('measured', names) }}

),

final as (

    select
        statistics.*,
        study.label,
        study.study_mean,
        study.study_median,
        study.study_std,
        study.study_min,
        study.study_max

    from statistics
    left join study on statistics.measure = study.measure
    order by statistics.measure_order

)

select
    final.*,
    {{ build_stamp() }}

from final
{%- endmacro %}
