{#- The build that produced this warehouse, as the real mart names it (publish reads it). -#}
select
    '{{ env_var("MMS_BUILD_ID", invocation_id) }}' as build_id,
    cast('{{ run_started_at.isoformat() }}' as timestamptz) as built_at
