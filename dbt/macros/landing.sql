{#- The landing zone is written by extract/ (docs/landing-contract.md). Each table directory holds a
    zero-row _schema.parquet, so an empty table still reads. Single-file tables (one file per
    repository or key) are read with a glob through their dbt source. The tables a repository's
    extraction lands together (git commits and modified files, GitHub issues) are immutable
    generation files named by the repository's row in a commit table (git/extractions,
    github/issue_crawls): they are read only through the files that row lists, so a build sees each
    repository as one extraction left it, never a mix, and never a file of a commit in progress. -#}

{#- Builds give dbt the landing directory as `building/landing`, relative to the folder they run
    dbt in: a link beside the build file (warehouse/files.py: WarehouseFiles.dbt_landing_dir), so
    the sources and the models that read it parse alike for every warehouse and landing zone. -#}
{% macro landing_dir() -%}
    {{- env_var('MMS_LANDING_DIR', '../data/landing') -}}
{%- endmacro %}

{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}

{% macro assert_landing_initialised() %}
    {%- if execute -%}
        {%- for source in graph.sources.values() if source.source_meta.get('landing_domain') -%}
            {%- set table = source.source_meta['landing_domain'] ~ '/' ~ source.name -%}
            {%- set pattern = landing_dir() ~ '/' ~ table ~ '/_schema.parquet' -%}
            {%- set found = run_query("select count(*) from glob(" ~ sql_string(pattern) ~ ")").columns[0].values()[0] -%}
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

{#- The end of a commit table's staging model (git/extractions, github/issue_crawls): `renamed`
    is its landed rows, to which this adds whether every file the repository's row lists is on
    disk (a file moved to _quarantine/ by the warehouse build, or deleted by hand, takes the whole
    repository out of the build instead of leaving half of it). `domain` is 'git' or 'github'. -#}
{% macro with_landed_files_on_disk(renamed, domain) -%}
landed as (

    select
        repo_id,
        unnest(coalesce(landed_files, [])) as landed_file

    from {{ renamed }}

),

on_disk as (

    select file from glob({{ sql_string(landing_dir() ~ '/' ~ domain ~ '/*/*@*.parquet') }})

),

missing_files as (

    select
        landed.repo_id,
        count(*) as missing_file_count

    from landed
    left join on_disk on {{ sql_string(landing_dir() ~ '/') }} || landed.landed_file = on_disk.file
    where on_disk.file is null
    group by landed.repo_id

),

final as (

    select
        {{ renamed }}.*,
        coalesce(missing_files.missing_file_count, 0) as missing_file_count,
        coalesce(missing_files.missing_file_count, 0) = 0 as is_readable

    from {{ renamed }}
    left join missing_files on {{ renamed }}.repo_id = missing_files.repo_id

)

select * from final
{%- endmacro %}

{#- read_parquet over exactly the current, readable files of a data table, as listed by its
    commit table's staging model. In an incremental run only repositories whose generation is not
    in the target yet are read. Always includes the schema file, so an empty list still reads. -#}
{% macro landing_current_files(table, commit_model, incremental=false) -%}
    {%- set root = landing_dir() -%}
    {%- set files = [root ~ '/' ~ table ~ '/_schema.parquet'] -%}
    {#- A fresh warehouse has no commit model yet when only compiling (sqlfluff, dbt compile). -#}
    {%- if execute and load_relation(commit_model) is not none -%}
        {%- set query -%}
            select landed_file
            from (select generation, unnest(landed_files) as landed_file from {{ commit_model }} where is_readable)
            where landed_file like {{ sql_string(table ~ '/%') }}
            {%- if incremental %}
                and generation not in (select distinct landing_generation from {{ this }})
            {%- endif %}
            order by landed_file
        {%- endset -%}
        {%- for landed_file in run_query(query).columns[0].values() -%}
            {%- do files.append(root ~ '/' ~ landed_file) -%}
        {%- endfor -%}
    {%- endif -%}
    read_parquet([
        {%- for file in files %}{{ sql_string(file) }}{{ ', ' if not loop.last }}{% endfor -%}
    ], union_by_name = true, filename = true)
{%- endmacro %}

{#- A data table landed in generation files (git/commits, git/modified_files, github/issues), as a
    staging model reads it: configured incremental by repository, its post-hook dropping the
    repositories no longer current in `commit_model` (their commit table's staging model); returns
    the read_parquet of the current files (only the new generations' in an incremental run). -#}
{% macro landed_generation_files(table, commit_model) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='repo_id',
        post_hook="{{ delete_superseded_generations(ref('" ~ commit_model ~ "')) }}",
    ) }}
    {#- The files are read by path; the source is named so the lineage shows where they come from. -#}
    {%- do source(table.split('/')[0], table.split('/')[1]) -%}
    {{ landing_current_files(table, ref(commit_model), incremental=is_incremental()) }}
{%- endmacro %}

{#- The generation a data file belongs to, from its name (<owner>__<name>@<generation>.parquet). -#}
{% macro landing_generation(filename_column='filename') -%}
    nullif(regexp_extract({{ filename_column }}, '@([^/@]+)\.parquet$', 1), '')
{%- endmacro %}

{#- After an incremental load: drop rows of repositories whose generation is no longer current
    (re-mined with no rows, quarantined, or removed from the landing zone). -#}
{% macro delete_superseded_generations(commit_model) -%}
    delete from {{ this }} as loaded
    where not exists (
        select 1
        from {{ commit_model }} as current_commits
        where
            current_commits.is_readable
            and current_commits.repo_id = loaded.repo_id
            and current_commits.generation = loaded.landing_generation
    )
{%- endmacro %}

{#- Single-file tables with one file per repository (github/repositories: 4,031 files at study
    scale, 40,000 at ten times) load incrementally by file: a build reads only the files whose
    modification time or size changed since the last build, and forgets the rows of files that
    are gone. Each row carries the file it came from (landing_file) and that file's stamp. -#}
{% macro landing_glob(table) -%}
    {{ sql_string(landing_dir() ~ '/' ~ table ~ '/*.parquet') }}
{%- endmacro %}

{% macro landing_changed_files(table, incremental=false) -%}
    {%- set files = [landing_dir() ~ '/' ~ table ~ '/_schema.parquet'] -%}
    {%- if execute -%}
        {%- set query -%}
            select listed.filename
            from read_blob({{ landing_glob(table) }}) as listed
            {%- if incremental %}
            left join (select distinct landing_file, landing_modified, landing_size from {{ this }}) as loaded
                on listed.filename = loaded.landing_file
                and listed.last_modified = loaded.landing_modified
                and listed.size = loaded.landing_size
            where loaded.landing_file is null and
            {%- else %}
            where
            {%- endif %}
                listed.filename not like '%/_schema.parquet'
            order by listed.filename
        {%- endset -%}
        {%- for filename in run_query(query).columns[0].values() -%}
            {%- do files.append(filename) -%}
        {%- endfor -%}
    {%- endif -%}
    read_parquet([
        {%- for file in files %}{{ sql_string(file) }}{{ ', ' if not loop.last }}{% endfor -%}
    ], union_by_name = true, filename = true)
{%- endmacro %}

{#- The stamp of every landed file of the table, to join on the rows read from them. -#}
{% macro landing_file_stamps(table) -%}
    select
        filename as landing_file,
        last_modified as landing_modified,
        size as landing_size

    from read_blob({{ landing_glob(table) }})
{%- endmacro %}

{% macro delete_unlanded_files(table) -%}
    delete from {{ this }}
    where landing_file not in (select filename from read_blob({{ landing_glob(table) }}))
{%- endmacro %}
