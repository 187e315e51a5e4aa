{#- The landing zone is written by extract/ (see docs/landing-contract.md). Each table directory holds
    one Parquet file per repository and a zero-row _schema.parquet, so an empty table still reads.
    A dbt source reads a landing table when its source carries `meta: {landing_domain: <dir>}`. -#}

{% macro assert_landing_initialised() %}
    {%- if execute -%}
        {%- for source in graph.sources.values() if source.source_meta.get('landing_domain') -%}
            {%- set table = source.source_meta['landing_domain'] ~ '/' ~ source.name -%}
            {%- set pattern = env_var('MMS_LANDING_DIR', '../data/landing') ~ '/' ~ table ~ '/_schema.parquet' -%}
            {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')").columns[0].values()[0] -%}
            {%- if found == 0 -%}
                {{ exceptions.raise_compiler_error(
                    "landing table '" ~ table ~ "' is not initialised: no " ~ pattern
                    ~ ". Run `uv run mms-extract init`, or point MMS_LANDING_DIR at the landing directory."
                ) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
