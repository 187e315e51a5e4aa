"""The DuckDB warehouse as analysts see it: built in a file of its own, then published atomically.

dbt never writes the file analysts open. A build copies the published warehouse (or starts empty
when the dbt project changed), runs `dbt build` on the copy, and only when the build and its
blocking tests pass, and it loses no repository's data against the published build without a
recorded reason (``shrink``), is the copy renamed into place (``publish``). Readers already connected keep
the snapshot they opened until they reconnect; a failed or killed build leaves the published
warehouse untouched, byte for byte. One build at a time holds the writer lock, which the kernel
releases when its process dies, so a dead build never blocks the next.

Plain Python (no Dagster): the Dagster asset, ``mms-warehouse build`` and the tests use it alike.
"""

from warehouse.files import WarehouseFiles
from warehouse.lock import WarehouseBusy, writer_lock
from warehouse.publish import BuildRecord, PublicationStatus, publication_status

__all__ = [
    "BuildRecord",
    "PublicationStatus",
    "WarehouseBusy",
    "WarehouseFiles",
    "publication_status",
    "writer_lock",
]
