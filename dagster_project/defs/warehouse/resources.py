"""The published warehouse, as its readers open it (reports, the selection and suggestion sensors,
linked pull requests, the label suggester): read-only, through ``warehouse.open_published``. Builds
never write this file; they publish a new one (dagster_project/defs/warehouse/dbt.py), so a reader
is never locked out and never blocks a build.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource

from base import settings
from warehouse.published import open_published


class PublishedWarehouseResource(DuckDBResource):
    """dagster-duckdb's resource (the ``duckdb`` key) opening the published file the one way its
    readers do. Its retry loop is left out: no build locks this file, so there is nothing to wait
    for, and a warehouse not built yet is one line naming it (``WarehouseUnavailable``)."""

    @classmethod
    def _is_dagster_maintained(cls) -> bool:
        return False

    @property
    def path(self) -> Path:
        return Path(self.database)

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with open_published(self.database) as connection:
            yield connection


def published_warehouse_resource() -> PublishedWarehouseResource:
    return PublishedWarehouseResource(database=str(settings.duckdb_path()))
