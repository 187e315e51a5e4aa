{#- One row: the build that produced this warehouse. The report and the publish step read it. -#}
with

candidates as (

    select * from {{ ref('stg_github__candidates') }}

),

final as (

    select
        '{{ env_var("MMS_CODE_VERSION", "unknown") }}' as code_version,
        -- Which dbt project built this: a build reuses the published tables only when it matches.
        '{{ env_var("MMS_DBT_PROJECT_FINGERPRINT", "unknown") }}' as project_fingerprint,
        '{{ dbt_version }}' as dbt_version,
        -- The bundled sample lands its candidate list under this name (demo/github_data.py); the
        -- environment flag marks other generated data (tests, benchmarks).
        (
            '{{ env_var("MMS_SAMPLE_DATA", "") | lower }}' in ('1', 'true', 'yes')
            or exists (select 1 from candidates where candidates.candidate_list = 'sample-data')
        ) as is_sample_data

)

select
    final.*,
    {{ build_stamp() }}

from final
