with

source as (

    select * from {{ source('annotations', 'labels') }}

),

renamed as (

    select
        frame || '|' || item_key || '|' || rater || '|' || label as label_key,
        frame,
        item_key,
        rater,
        is_adjudication,
        label,
        label_position,
        source_file,
        row_number as source_row_number,
        imported_at

    from source

)

select * from renamed
