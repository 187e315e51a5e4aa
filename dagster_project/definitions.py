"""The one Definitions object of the project: every asset, check, resource, schedule and sensor."""

import dagster as dg

from dagster_project import settings
from dagster_project.defs.warehouse.dbt import dbt_resource, warehouse_dbt_models

settings.resolve_all()

defs = dg.Definitions(
    assets=[warehouse_dbt_models],
    resources={"dbt": dbt_resource()},
)
