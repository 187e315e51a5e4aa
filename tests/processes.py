"""Stopping the servers and workers tests start: each in a session of its own, so one signal reaches
the process and every child it started (Label Studio's Django workers, `dagster dev`'s daemon and
webserver, Celery's pool)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def stop_process_group(process: subprocess.Popen, grace_seconds: float = 1) -> None:
    """SIGTERM to the group ``process`` leads, SIGKILL after ``grace_seconds``; always reaped.

    What these servers hold is thrown away with the test, so a graceful stop is hardly waited for:
    after a session's use, Label Studio and `dagster dev` each took the whole 30 s this once
    allowed, and then the whole 5 s (`--durations` teardowns of 5.1-5.2 s, each a worker idle:
    Label Studio's at the end of the session, where the other worker had finished). Idle, Label
    Studio stops in 0.03 s."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
