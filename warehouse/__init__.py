"""The DuckDB warehouse as analysts see it: built in a file of its own, then published atomically.

dbt never writes the file analysts open. A build copies the published warehouse (or starts empty
when the dbt project changed), runs `dbt build` on the copy, and only when the build and its
blocking tests pass, and it loses no repository's data against the published build without a
recorded reason (``shrink``), is the copy renamed into place (``publish``). Readers already connected keep
the snapshot they opened until they reconnect; a failed or killed build leaves the published
warehouse untouched, byte for byte. One build at a time holds the writer lock, which the kernel
releases when its process dies, so a dead build never blocks the next; readers take no lock and
open the published file through ``open_published``, never ``duckdb.connect``.

Plain Python (no Dagster): the Dagster asset, ``mms-warehouse build`` and the tests use it alike.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: exported name -> its module, imported on first use: ``mms-dbt`` (warehouse.dbt_child) starts
#: before every dbt process and must not pay for DuckDB and pyarrow
_EXPORTS = {
    "BuildRecord": "warehouse.publish",
    "PublicationStatus": "warehouse.publish",
    "publication_status": "warehouse.publish",
    "WarehouseBusy": "warehouse.lock",
    "writer_lock": "warehouse.lock",
    "WarehouseFiles": "warehouse.files",
    "open_published": "warehouse.published",
    "WarehouseUnavailable": "warehouse.published",
}

if TYPE_CHECKING:
    from warehouse.files import WarehouseFiles
    from warehouse.lock import WarehouseBusy, writer_lock
    from warehouse.publish import BuildRecord, PublicationStatus, publication_status
    from warehouse.published import WarehouseUnavailable, open_published

__all__ = [
    "BuildRecord",
    "PublicationStatus",
    "WarehouseBusy",
    "WarehouseFiles",
    "WarehouseUnavailable",
    "open_published",
    "publication_status",
    "writer_lock",
]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'warehouse' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
