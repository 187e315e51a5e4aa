{#- Cochran's sample size of the commits, with the real macro: a margin of 0 fails the build as it
    fails the real sampling models. -#}
select {{ cochran_sample_size('count(*)') }} as target_sample_size
from {{ ref('stg_git__commits') }}
