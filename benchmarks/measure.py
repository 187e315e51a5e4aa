"""One measured process for the benchmarks: its wall seconds and the CPU seconds (user + system) of
it and every process it waited for, from ``os.wait4``, its output kept in a log file."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_measured(
    argv: Sequence[str], env: Mapping[str, str], log: Path, cwd: Path | str | None = None
) -> tuple[float, float, int]:
    """Run ``argv`` to its end: (wall s, CPU s of its process tree, exit code)."""
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            list(argv), env=dict(env), stdout=out, stderr=subprocess.STDOUT, cwd=cwd
        )
        _, status, usage = os.wait4(process.pid, 0)
    return (
        time.perf_counter() - started,
        usage.ru_utime + usage.ru_stime,
        os.waitstatus_to_exitcode(status),
    )
