{#- What people decided about a frame's items (macros/frames.sql): the label frame the suggester
    reads, and the label distribution of the sample (Tables 5 and 6). -#}

{#- Every item of frame_items, with `item_columns` after its key and project, its draw,
    the reviewers' decision and its final labels. -#}
{% macro label_frame(frame, item_columns) -%}
    {%- set spec = frame_spec(frame) -%}
with

items as (
    {{ frame_items(frame) }}

),

draws as (

    select * from {{ ref(spec.draws) }}

),

reviews as (

    select * from {{ ref('stg_annotations__sample_reviews') }}
    where frame = '{{ spec.frame }}'

),

item_status as (

    select * from {{ ref('int_labels__item_status') }}
    where frame = '{{ spec.frame }}'

),

review_decisions as (

    select
        item_key,
        case when bool_or(review_decision = 'reject') then 'reject' else 'keep' end as review_decision

    from reviews
    group by item_key

),

final as (

    select
        items.{{ spec.key }},
        items.repo_id,
        {%- for column in item_columns %}
        items.{{ column }},
        {%- endfor %}
        draws.draw_rank,
        draws.allocation,
        coalesce(draws.draw_rank <= draws.allocation, false) as in_design_sample,
        review_decisions.review_decision,
        case when item_status.label_status = 'labelled' then item_status.labels end as final_labels,
        coalesce(item_status.label_status, 'pending') as label_status

    from items
    left join draws on items.{{ spec.key }} = draws.item_key
    left join review_decisions on items.{{ spec.key }} = review_decisions.item_key
    left join item_status on items.{{ spec.key }} = item_status.item_key

)

select
    final.*,
    {{ build_stamp() }}

from final
{%- endmacro %}

{#- Occurrences of each label of the frame's taxonomy in the final labels of its sample, and of
    each group of labels (an activity's category), with Wilson intervals. An item with two labels
    counts once for each: the study's shares are of label occurrences and sum to 100%. -#}
{% macro label_distribution(frame) -%}
    {%- set spec = frame_spec(frame) -%}
    {%- set label = spec.label -%}
with

taxonomy as (

    select * from {{ ref(spec.taxonomy) }}

),

frame_sample as (

    select * from {{ ref(spec.sample) }}

),

final_labels as (

    select * from {{ ref('int_labels__final_labels') }}

),

sample_labels as (

    select final_labels.label as {{ label }}
    from final_labels
    inner join frame_sample on final_labels.item_key = frame_sample.{{ spec.key }}
    where final_labels.frame = '{{ spec.frame }}'

),

counts as (

    select
        taxonomy.{{ label }},
        {%- for group in spec.label_groups %}
        taxonomy.{{ group }},
        {%- endfor %}
        taxonomy.definition,
        {%- for column in spec.study_columns %}
        taxonomy.{{ column }},
        {%- endfor %}
        count(sample_labels.{{ label }}) as occurrences

    from taxonomy
    left join sample_labels on taxonomy.{{ label }} = sample_labels.{{ label }}
    group by all

),

totals as (

    select
        *,
        {%- for group in spec.label_groups %}
        sum(occurrences) over (partition by {{ group }}) as {{ group }}_occurrences,
        {%- endfor %}
        sum(occurrences) over () as total_occurrences

    from counts

),

final as (

    select
        {{ label }},
        {%- for group in spec.label_groups %}
        {{ group }},
        {%- endfor %}
        definition,
        occurrences,
        total_occurrences,
        occurrences / nullif(total_occurrences, 0)::double as share,
        {{ wilson_bound('occurrences', 'total_occurrences', 'lower') }} as share_ci_lower,
        {{ wilson_bound('occurrences', 'total_occurrences', 'upper') }} as share_ci_upper,
        {%- for group in spec.label_groups %}
        {{ group }}_occurrences,
        {{ group }}_occurrences / nullif(total_occurrences, 0)::double as {{ group }}_share,
        {{ wilson_bound(group ~ '_occurrences', 'total_occurrences', 'lower') }} as {{ group }}_share_ci_lower,
        {{ wilson_bound(group ~ '_occurrences', 'total_occurrences', 'upper') }} as {{ group }}_share_ci_upper,
        {%- endfor %}
        {{ spec.study_columns | join(',\n        ') }}

    from totals
    order by
        {%- for group in spec.label_groups %}
        {{ group }}_occurrences desc,
        {%- endfor %}
        occurrences desc,
        {{ label }} asc

)

select
    final.*,
    {{ build_stamp() }}

from final
{%- endmacro %}
