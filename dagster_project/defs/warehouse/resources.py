"""The published warehouse, as its readers open it (reports, the selection sensor, linked pull
requests, the label suggester): read-only. Builds never write this file; they publish a new one
(dagster_project/defs/warehouse/dbt.py), so a reader is never locked out and never blocks a build.
"""

from dagster_duckdb import DuckDBResource

from base import settings


def published_warehouse_resource() -> DuckDBResource:
    return DuckDBResource(
        database=str(settings.duckdb_path()), connection_config={"access_mode": "READ_ONLY"}
    )
