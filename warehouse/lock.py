"""One writer at a time: an exclusive ``flock`` on ``<warehouse>.lock``, held for a whole build.

The kernel releases the lock when its process exits, however it exits (kill -9 included), so a dead
build never blocks the next one and nobody has to free anything. The holder writes who it is into the
file, so a second writer waits (or gives up) with a message naming the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from warehouse.files import WarehouseFiles


class WarehouseBusy(RuntimeError):
    """Another writer holds the warehouse; the message names it."""


def _describe(holder: dict) -> str:
    if not holder:
        return "another process (it wrote no details)"
    return (
        f"{holder.get('holder', 'another process')} (pid {holder.get('pid')} on "
        f"{holder.get('host')}, since {holder.get('since')})"
    )


def read_holder(files: WarehouseFiles) -> dict:
    try:
        text = files.lock.read_text(encoding="utf-8")
        return json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}


@contextlib.contextmanager
def writer_lock(
    files: WarehouseFiles,
    holder: str,
    *,
    wait_seconds: float = 0.0,
    poll_seconds: float = 1.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the warehouse's writer lock; wait up to ``wait_seconds`` for another holder, telling
    ``on_wait`` who it is every 30 s, then raise :class:`WarehouseBusy` naming it."""
    files.lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(files.lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + wait_seconds
        told = 0.0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                other = _describe(read_holder(files))
                now = time.monotonic()
                if now >= deadline:
                    raise WarehouseBusy(
                        f"the warehouse {files.published} is being written by {other}; "
                        "wait for it to finish (a dead process releases the lock by itself)"
                    ) from None
                if on_wait is not None and now - told >= 30:
                    on_wait(f"waiting for the warehouse writer lock, held by {other}")
                    told = now
                time.sleep(min(poll_seconds, max(deadline - now, 0.01)))
        details = {
            "holder": holder,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(details).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
