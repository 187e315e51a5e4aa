{#- Statistics the study's method needs, as SQL expressions so every model computes them the same way. -#}

{#- Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9):
    DuckDB has no probit function. -#}
{% macro normal_quantile(p) -%}
    (case
        when ({{ p }}) < 0.02425 then
            (((((-7.784894002430293e-03 * sqrt(-2 * ln({{ p }})) - 3.223964580411365e-01) * sqrt(-2 * ln({{ p }})) - 2.400758277161838e+00) * sqrt(-2 * ln({{ p }})) - 2.549671010388091e+00) * sqrt(-2 * ln({{ p }})) + 4.374664141464968e+00) * sqrt(-2 * ln({{ p }})) + 2.938163982698783e+00)
            / ((((7.784695709041462e-03 * sqrt(-2 * ln({{ p }})) + 3.224671290700398e-01) * sqrt(-2 * ln({{ p }})) + 2.445134137142996e+00) * sqrt(-2 * ln({{ p }})) + 3.754408661907416e+00) * sqrt(-2 * ln({{ p }})) + 1)
        when ({{ p }}) > 1 - 0.02425 then
            -(((((-7.784894002430293e-03 * sqrt(-2 * ln(1 - ({{ p }}))) - 3.223964580411365e-01) * sqrt(-2 * ln(1 - ({{ p }}))) - 2.400758277161838e+00) * sqrt(-2 * ln(1 - ({{ p }}))) - 2.549671010388091e+00) * sqrt(-2 * ln(1 - ({{ p }}))) + 4.374664141464968e+00) * sqrt(-2 * ln(1 - ({{ p }}))) + 2.938163982698783e+00)
            / ((((7.784695709041462e-03 * sqrt(-2 * ln(1 - ({{ p }}))) + 3.224671290700398e-01) * sqrt(-2 * ln(1 - ({{ p }}))) + 2.445134137142996e+00) * sqrt(-2 * ln(1 - ({{ p }}))) + 3.754408661907416e+00) * sqrt(-2 * ln(1 - ({{ p }}))) + 1)
        else
            (((((-3.969683028665376e+01 * power(({{ p }}) - 0.5, 2) + 2.209460984245205e+02) * power(({{ p }}) - 0.5, 2) - 2.759285104469687e+02) * power(({{ p }}) - 0.5, 2) + 1.383577518672690e+02) * power(({{ p }}) - 0.5, 2) - 3.066479806614716e+01) * power(({{ p }}) - 0.5, 2) + 2.506628277459239e+00) * (({{ p }}) - 0.5)
            / (((((-5.447609879822406e+01 * power(({{ p }}) - 0.5, 2) + 1.615858368580409e+02) * power(({{ p }}) - 0.5, 2) - 1.556989798598866e+02) * power(({{ p }}) - 0.5, 2) + 6.680131188771972e+01) * power(({{ p }}) - 0.5, 2) - 1.328068155288572e+01) * power(({{ p }}) - 0.5, 2) + 1)
    end)
{%- endmacro %}

{#- Two-sided critical value for a confidence level. -#}
{% macro z_for_confidence(confidence) -%}
    {{ normal_quantile('(1 + (' ~ confidence ~ ')) / 2') }}
{%- endmacro %}

{#- The z of the sample size: the study's rounded 1.96 unless sample_z_score is null. -#}
{% macro sample_z_score() -%}
    {%- if var('sample_z_score') is none -%}
        {{ z_for_confidence(var('sample_confidence')) }}
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
    {%- set z = z_for_confidence(var('interval_confidence')) -%}
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
