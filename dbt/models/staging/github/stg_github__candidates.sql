with

source as (

    select * from {{ source('github', 'candidates') }}

),

renamed as (

    select
        candidate_list,
        line_number,
        raw_value,
        lower(repo_id) as repo_id,
        candidate_type,
        is_valid,
        problem,
        loaded_at

    from source

)

select * from renamed
