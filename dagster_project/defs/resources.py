"""Every resource, configured from the environment when the definitions load (never at import)."""

import dagster as dg

from dagster_project.defs.git.resources import git_source_resource
from dagster_project.defs.github.resources import github_resource
from dagster_project.defs.landing.resources import landing_resource
from dagster_project.defs.warehouse.resources import published_warehouse_resource


def extraction_resources() -> dict[str, dg.ConfigurableResource]:
    """What the `repositories` code location's runs, schedule and sensor use: no dbt."""
    return {
        "git": git_source_resource(),
        "github": github_resource(),
        "duckdb": published_warehouse_resource(),
        "landing_zone": landing_resource(),
    }


@dg.definitions
def defs() -> dg.Definitions:
    # imported here: the `repositories` location imports this module and must not import dbt
    from dagster_project.defs.warehouse.dbt import dbt_resource

    return dg.Definitions(resources={"dbt": dbt_resource(), **extraction_resources()})
