with

projects as (

    select * from {{ ref('int_selection__projects') }}

),

final as (

    select
        repo_id,
        full_name,
        candidate_type,
        snapshot_date,
        commits,
        stars,
        contributors,
        inspection_notes

    from projects
    where selection_status = 'selected'

)

select
    final.*,
    {{ build_stamp() }}

from final
