{#- Stratified random sample of one frame (section 2.3), as CTEs ending in `final`.

    `population` is a CTE with (item_key, stratum); `reviews` a CTE with (item_key, decision), where
    'reject' means the item is not ML related. The rule, documented in docs/method.md:
    - target = Cochran's n, raised to the number of strata so that every project is represented,
      and capped at the population size;
    - every stratum gets 1 item; the remaining target - H slots are shared in proportion to each
      stratum's items beyond the first (integer quotient, then largest remainder, ties by larger
      stratum then stratum id), which never exceeds a stratum's size;
    - items are drawn in the order md5(seed || '|' || item_key) within their stratum; a rejected item
      is skipped and the next one of the same stratum takes its place. -#}
{% macro stratified_sample(population, reviews) -%}
strata as (

    select
        stratum,
        count(*) as stratum_size,

    from {{ population }}
    group by stratum

),

frame_size as (

    select
        sum(stratum_size)::bigint as population_size,
        count(*)::bigint as stratum_count,
        {{ cochran_sample_size('sum(stratum_size)') }} as cochran_sample_size,

    from strata

),

target as (

    select
        *,
        least(population_size, greatest(cochran_sample_size, stratum_count)) as target_sample_size,
        cochran_sample_size < stratum_count as target_raised_for_coverage,
        least(population_size, greatest(cochran_sample_size, stratum_count)) - stratum_count as shared_slots,

    from frame_size

),

quotas as (

    select
        strata.stratum,
        strata.stratum_size,
        target.shared_slots,
        -- integer arithmetic: the quotient and remainder of shared_slots * (size - 1) / (N - H)
        case when target.population_size > target.stratum_count
            then (target.shared_slots * (strata.stratum_size - 1)) // (target.population_size - target.stratum_count)
            else 0
        end as proportional_slots,
        case when target.population_size > target.stratum_count
            then (target.shared_slots * (strata.stratum_size - 1)) % (target.population_size - target.stratum_count)
            else 0
        end as remainder,

    from strata
    cross join target

),

remainder_ranks as (

    select
        *,
        row_number() over (order by remainder desc, stratum_size desc, stratum) as remainder_rank,
        shared_slots - sum(proportional_slots) over () as leftover_slots,

    from quotas

),

allocation as (

    select
        stratum,
        stratum_size,
        1 + proportional_slots + (case when remainder_rank <= leftover_slots then 1 else 0 end) as allocation,

    from remainder_ranks

),

rejections as (

    select
        item_key,
        bool_or(decision = 'reject') as is_rejected,

    from {{ reviews }}
    group by item_key

),

draws as (

    select
        population.item_key,
        population.stratum,
        coalesce(rejections.is_rejected, false) as is_rejected,
        row_number() over (
            partition by population.stratum
            order by md5('{{ var("sampling_seed") }}' || '|' || population.item_key), population.item_key
        ) as draw_rank,

    from {{ population }} as population
    left join rejections on population.item_key = rejections.item_key

),

eligible_ranks as (

    select
        draws.*,
        allocation.stratum_size,
        allocation.allocation,
        case when not draws.is_rejected then
            row_number() over (partition by draws.stratum, draws.is_rejected order by draws.draw_rank)
        end as eligible_rank,

    from draws
    inner join allocation on draws.stratum = allocation.stratum

),

drawn as (

    select
        *,
        coalesce(eligible_rank <= allocation, false) as in_sample,
        max(case when eligible_rank <= allocation then draw_rank end) over (partition by stratum) as last_sampled_rank,

    from eligible_ranks

),

final as (

    select
        drawn.item_key,
        drawn.stratum,
        drawn.stratum_size,
        drawn.allocation,
        drawn.draw_rank,
        drawn.is_rejected,
        drawn.in_sample,
        case
            when drawn.in_sample and drawn.draw_rank <= drawn.allocation then 'sampled'
            when drawn.in_sample then 'replacement'
            else 'rejected'
        end as sample_status,
        target.population_size,
        target.stratum_count,
        target.cochran_sample_size,
        target.target_sample_size,
        target.target_raised_for_coverage,

    from drawn
    cross join target
    where drawn.in_sample
        or (drawn.is_rejected and drawn.draw_rank <= greatest(drawn.allocation, coalesce(drawn.last_sampled_rank, drawn.stratum_size)))

)
{%- endmacro %}
