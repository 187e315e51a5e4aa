with

source as (

    select * from {{ source('annotations', 'sample_reviews') }}

),

renamed as (

    select
        frame,
        lower(item_key) as item_key,
        lower(reviewer) as reviewer,
        decision as review_decision,
        note as review_note,
        source_file,
        row_number as source_row_number,
        imported_at

    from source

)

select * from renamed
