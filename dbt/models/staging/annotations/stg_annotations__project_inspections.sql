with

source as (

    select * from {{ source('annotations', 'project_inspections') }}

),

renamed as (

    select
        lower(repo_id) as repo_id,
        lower(reviewer) as reviewer,
        decision as inspection_decision,
        note as inspection_note,
        source_file,
        row_number as source_row_number,
        imported_at

    from source

)

select * from renamed
