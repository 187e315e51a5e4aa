{#- The build that produced this warehouse, as the real mart names it (publish reads it). -#}
select
    {#- read when the build runs, as the real mart's build_stamp() does: read while parsing, it
        would make dbt re-parse this model for every build -#}
    '{{ env_var("MMS_BUILD_ID", invocation_id) if execute else invocation_id }}' as build_id,
    cast('{{ run_started_at.isoformat() }}' as timestamptz) as built_at
