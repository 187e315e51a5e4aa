"""Every resource, configured from the environment when the definitions load (never at import)."""

import dagster as dg

from dagster_project.defs.git.resources import git_source_resource
from dagster_project.defs.github.resources import github_resource
from dagster_project.defs.landing.resources import landing_resource
from dagster_project.defs.warehouse.dbt import dbt_resource
from dagster_project.defs.warehouse.resources import published_warehouse_resource


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "dbt": dbt_resource(),
            "git": git_source_resource(),
            "github": github_resource(),
            "duckdb": published_warehouse_resource(),
            "landing_zone": landing_resource(),
        }
    )
