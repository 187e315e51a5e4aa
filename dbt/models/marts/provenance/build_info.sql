{#- One row: the build that produced this warehouse. The report and the publish step read it. -#}
{#- The environment flag marks generated data other than the bundled sample (tests, benchmarks).
    Every variable is read when the build runs, not when dbt parses (see build_stamp()): a build
    sets them, and the parse a warehouse's first build starts from was made without them. -#}
{%- set sample_flag = execute and (env_var("MMS_SAMPLE_DATA", "") | lower) in ("1", "true", "yes") -%}
with

candidates as (

    select * from {{ ref('stg_github__candidates') }}

),

-- The bundled sample lands its candidate list under this name (demo/github_data.py).
sample_lists as (

    select count(*) > 0 as has_sample_list
    from candidates
    where candidate_list = 'sample-data'

),

final as (

    select
        '{{ env_var("MMS_CODE_VERSION", "unknown") if execute else "unknown" }}' as code_version,
        -- Which dbt project built this: a build reuses the published tables only when it matches.
        '{{ env_var("MMS_DBT_PROJECT_FINGERPRINT", "unknown") if execute else "unknown" }}' as project_fingerprint,
        '{{ dbt_version }}' as dbt_version,
        ({{ sample_flag }} or sample_lists.has_sample_list) as is_sample_data

    from sample_lists

)

select
    final.*,
    {{ build_stamp() }}

from final
