"""Time a first load of the definitions: what a fresh clone, an edited dbt model or a new data
directory costs before anything runs (the definitions parse the dbt project with `dbt parse`
because no current manifest exists, then load Dagster's assets from it). Each load is a new
Python process on a fresh copy of the dbt project, in this checkout and in a baseline checkout
(``--baseline DIR``, e.g. `git worktree add --detach DIR main`; both load with this environment's
interpreter, each checkout's own packages first), alternated; the table gives medians of wall time
and of the process's CPU seconds, and the ratio.

    uv run python benchmarks/definitions_load.py --baseline /tmp/base --runs 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOAD = "from dagster_project.definitions import defs; defs()"


def load_once(checkout: Path) -> tuple[float, float]:
    """(wall s, CPU s) of one process loading ``checkout``'s definitions on a fresh project copy."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(checkout / "dbt", copy / "dbt",
                        ignore=shutil.ignore_patterns("target", "logs"))  # fmt: skip
        env = {**os.environ, "MMS_PROJECT_DIR": str(copy),
               "MMS_DUCKDB_PATH": str(Path(tmp) / "warehouse.duckdb"),
               "MMS_LANDING_DIR": str(Path(tmp) / "landing"),
               "DAGSTER_HOME": str(Path(tmp))}  # fmt: skip
        before, started = os.times(), time.perf_counter()
        # cwd first on sys.path: the checkout's own packages, not this environment's install
        subprocess.run([sys.executable, "-c", LOAD], cwd=checkout, env=env, check=True)
        wall, after = time.perf_counter() - started, os.times()
    cpu = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout to compare with")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    checkouts = {"baseline": args.baseline.resolve(), "this checkout": ROOT}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
    for _ in range(args.runs):
        for name, checkout in checkouts.items():
            times[name].append(load_once(checkout))
    base_wall = statistics.median(w for w, _ in times["baseline"])
    print(f"first definitions load, median of {args.runs} (load before: {os.getloadavg()[0]:.1f})")
    print("| checkout | wall s | CPU s | wall ratio |\n|---|---|---|---|")
    for name, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / base_wall:.2f} |")


if __name__ == "__main__":
    main()
