"""Read-only access to the published warehouse: marts and seeds as pandas DataFrames."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from warehouse.published import WarehouseUnavailable, open_published


class WarehouseError(RuntimeError):
    """The warehouse cannot be read, or lacks a mart the report needs (one line, naming it)."""


class Warehouse:
    """A read-only DuckDB connection to a built warehouse and the tables it holds."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: str) -> None:
        self.connection = connection
        self.path = path
        self.tables = {
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }

    @classmethod
    def open(cls, path: Path) -> Warehouse:
        try:
            connection = open_published(path)
        except WarehouseUnavailable as error:
            raise WarehouseError(str(error)) from None
        return cls(connection, str(path))

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def has(self, *tables: str) -> bool:
        return all(table in self.tables for table in tables)

    def load(self, table: str, order_by: str | None = None) -> pd.DataFrame:
        """Every row of a mart or seed; an error naming it when the warehouse lacks it."""
        if table not in self.tables:
            raise WarehouseError(
                f"warehouse {self.path} has no table {table}: it was built by an older version "
                "of the project; run the warehouse build again"
            )
        order = f" order by {order_by}" if order_by else ""
        return self.connection.execute(f'select * from "{table}"{order}').df()
