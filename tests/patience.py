"""How long a test waits for something that should happen (a server answering, a worker ready, a
page updating) before it calls it a failure: the time it takes on an idle machine, stretched by how
busy this machine is, so a correct run on a loaded machine is never failed by a fixed clock. Speed
itself is measured in benchmarks/, never asserted in a test."""

from __future__ import annotations

import os


def patience(seconds: float) -> float:
    """``seconds`` (generous, for an idle machine) times the 1-minute load per CPU when above 1."""
    load_per_cpu = os.getloadavg()[0] / (os.cpu_count() or 1)
    return seconds * max(1.0, load_per_cpu)


def patience_ms(seconds: float) -> float:
    """The same in milliseconds (Playwright's unit)."""
    return 1000 * patience(seconds)
