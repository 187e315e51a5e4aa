{#- The columns of the real mart the README's query reads, here the commits per repository. -#}
select
    repo_id as activity,
    'commits' as category,
    count(*) as occurrences,
    count(*) / sum(count(*)) over () as share
from {{ ref('stg_git__commits') }}
group by repo_id
