{#- Section 2.3 for either frame (macros/frames.sql): the draws, the sampling frame analysts read,
    and the sample the raters label. -#}

{#- Every item of frame_items (those meeting `where`, a condition on its columns, when given),
    stratified by project and drawn by stratified_sample; a reviewer's 'reject' of the frame's
    sample reviews replaces the item. -#}
{% macro frame_draws(frame, where=none) -%}
    {%- set spec = frame_spec(frame) -%}
with

items as (
    {{ frame_items(frame) }}

),

sample_reviews as (

    select * from {{ ref('stg_annotations__sample_reviews') }}

),

population as (

    select
        {{ spec.key }} as item_key,
        repo_id as stratum

    from items
    {%- if where %}
    where {{ where }}
    {%- endif %}

),

reviews as (

    select
        item_key,
        review_decision as decision

    from sample_reviews
    where frame = '{{ spec.frame }}'

),

{{ stratified_sample('population', 'reviews') }}

select * from final
{%- endmacro %}

{#- The drawn items (sampled, replacements and rejected) with `item_columns` of frame_items between
    the key and the draw. -#}
{% macro sampling_frame(frame, item_columns) -%}
    {%- set spec = frame_spec(frame) -%}
with

draws as (

    select * from {{ ref(spec.draws) }}

),

items as (
    {{ frame_items(frame) }}

),

final as (

    select
        draws.item_key as {{ spec.key }},
        draws.stratum as repo_id,
        {%- for column in item_columns %}
        items.{{ column }},
        {%- endfor %}
        draws.stratum_size,
        draws.allocation,
        draws.draw_rank,
        draws.is_rejected,
        draws.in_sample,
        draws.sample_status,
        draws.population_size,
        draws.stratum_count,
        draws.cochran_sample_size,
        draws.target_sample_size,
        draws.target_raised_for_coverage

    from draws
    inner join items on draws.item_key = items.{{ spec.key }}

)

select
    final.*,
    {{ build_stamp() }}

from final
{%- endmacro %}

{#- The in-sample items of the sampling frame, with their raters and final labels. -#}
{% macro frame_sample(frame) -%}
    {%- set spec = frame_spec(frame) -%}
with

sampling_frame as (

    select * from {{ ref(spec.sampling_frame) }}

),

item_status as (

    select * from {{ ref('int_labels__item_status') }}
    where frame = '{{ spec.frame }}'

),

final as (

    select
        -- the frame is a mart: its build stamp is replaced by this one's below
        sampling_frame.* exclude (is_rejected, in_sample, build_id, built_at, study_parameters),  -- noqa: RF02
        coalesce(item_status.rater_count, 0) as rater_count,
        item_status.labels,
        item_status.label_source,
        coalesce(item_status.label_status, 'pending') as label_status

    from sampling_frame
    left join item_status on sampling_frame.{{ spec.key }} = item_status.item_key
    where sampling_frame.in_sample

)

select
    final.*,
    {{ build_stamp() }}

from final
{%- endmacro %}
