"""The DuckDB warehouse, read by reports and the selection sensor. dbt is its main writer.

DuckDB allows one writing process at a time and a process that has the file open for writing blocks
all others, so every asset that opens it takes the one-slot ``duckdb`` pool (dagster_home/dagster.yaml).
"""

from dagster_duckdb import DuckDBResource

from dagster_project import settings


def duckdb_resource() -> DuckDBResource:
    return DuckDBResource(database=str(settings.duckdb_path()))
