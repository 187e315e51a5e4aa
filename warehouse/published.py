"""The one way into the published warehouse for its readers: read-only, one error line naming it.

Builds never write the published file (``warehouse.publish`` renames a finished build over it), so
no reader waits for a build or is turned away by one: a reader either opens the published snapshot
or is told, in one line naming the file, that there is none yet or that it is not a warehouse.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from base import settings


class WarehouseUnavailable(RuntimeError):
    """The published warehouse cannot be opened: not built yet, or not a DuckDB file."""


def open_published(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (``$MMS_DUCKDB_PATH`` unless ``path``
    names another), to be closed by the caller (``with open_published() as con``)."""
    path = Path(path) if path is not None else settings.duckdb_path()
    if not path.is_file():
        raise WarehouseUnavailable(f"warehouse {path} does not exist: build it first (make run)")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise WarehouseUnavailable(
            f"warehouse {path} cannot be opened read-only: {first_line}"
        ) from None
