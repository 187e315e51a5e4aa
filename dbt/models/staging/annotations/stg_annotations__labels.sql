with

source as (

    select * from {{ source('annotations', 'labels') }}

),

renamed as (

    select
        frame || '|' || lower(item_key) || '|' || lower(rater) || '|' || label as label_key,
        frame,
        lower(item_key) as item_key,
        lower(rater) as rater,
        is_adjudication,
        label,
        label_position,
        source_file,
        row_number as source_row_number,
        imported_at

    from source

)

select * from renamed
