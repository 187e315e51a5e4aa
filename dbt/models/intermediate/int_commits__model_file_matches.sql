{%- set mode = var('keyword_match_mode') -%}
{%- if mode not in ['substring', 'token'] -%}
    {{ exceptions.raise_compiler_error("var keyword_match_mode must be 'substring' or 'token', got '" ~ mode ~ "'") }}
{%- endif -%}

with

modified_files as (

    select * from {{ ref('stg_git__modified_files') }}

),

keywords as (

    select * from {{ ref('model_file_keywords') }}

),

variants as (

    select distinct
        keyword,
        lower(variant) as variant

    from keywords
    where variant is not null and trim(variant) <> ''

),

paths as (

    -- a file is modified by many commits: match each distinct path once, then join back
    select distinct lower(path) as path_lower
    from modified_files

),

path_matches as (

    select
        paths.path_lower,
        variants.keyword,
        list_sort(list(variants.variant)) as matched_variants

    from paths
    inner join variants
        -- the substring test runs first in both modes: it is cheap and rules out most pairs
        on contains(paths.path_lower, variants.variant)
    {%- if mode == 'token' %}
        and regexp_matches(
            paths.path_lower,
            '(^|[^a-z0-9])' || regexp_escape(variants.variant) || '($|[^a-z0-9])'
        )
        {%- endif %}
    group by paths.path_lower, variants.keyword

),

final as (

    select
        modified_files.modified_file_key,
        modified_files.commit_key,
        modified_files.repo_id,
        modified_files.path,
        path_matches.keyword,
        path_matches.matched_variants

    from modified_files
    inner join path_matches on lower(modified_files.path) = path_matches.path_lower

)

select * from final
