"""What dbt's log file costs a warehouse build: `mms-warehouse build` on the sample, alternated
between dbt's file log at debug (dbt's own default, the baseline) and at info (what builds use,
warehouse/publish.py), and print a table: median wall seconds, median CPU seconds of the build's
process tree (user + system, the build and its dbt), and the log bytes each build wrote.

It builds and publishes the warehouse of the checkout's settings (`data/` unless `MMS_DUCKDB_PATH`
says otherwise) 2 x --pairs + 1 times, and empties dbt's log in its `dbt-target/` folder before each
build: run it on the sample, not on a study's warehouse. Run `make run` first, then:

    uv run python benchmarks/dbt_log_level.py --pairs 5
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from base import settings
from warehouse.files import WarehouseFiles

MMS_WAREHOUSE = str(Path(sys.executable).parent / "mms-warehouse")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _log_bytes(target: Path) -> int:
    return sum(p.stat().st_size for p in target.glob("dbt.log*"))


def _build(level: str, target: Path) -> tuple[float, float, int]:
    """One build with dbt's file log at ``level``: wall s, CPU s, log bytes written. The log is
    emptied first so that dbt does not rotate it mid-build."""
    for old in target.glob("dbt.log*"):
        old.unlink()
    env = {**os.environ, "DBT_LOG_LEVEL_FILE": level}
    cpu, started = _children_cpu(), time.perf_counter()
    done = subprocess.run([MMS_WAREHOUSE, "build"], env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"mms-warehouse build failed at {level}:\n{done.stdout[-2000:]}{done.stderr}")
    return wall, cpu, _log_bytes(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    files = WarehouseFiles.from_settings()
    if not files.published.exists():
        sys.exit(f"no warehouse at {files.published}: run `make run` first")
    _build("info", files.dbt_target)  # a first build re-parses what changed since the last one
    results: dict[str, list[tuple[float, float, int]]] = {"debug": [], "info": []}
    for _ in range(args.pairs):
        for level in results:
            results[level].append(_build(level, files.dbt_target))
    base_wall = statistics.median(r[0] for r in results["debug"])
    base_cpu = statistics.median(r[1] for r in results["debug"])
    print(f"`mms-warehouse build` of {settings.duckdb_path()}, {args.pairs} alternated pairs")
    print(
        "| dbt file log | median wall s | median CPU s | wall ratio | CPU ratio | log MB a build |"
    )
    print("|---|---|---|---|---|---|")
    for level, label in (("debug", "debug (dbt's default, baseline)"), ("info", "info (shipped)")):
        wall = statistics.median(r[0] for r in results[level])
        cpu = statistics.median(r[1] for r in results[level])
        mb = statistics.median(r[2] for r in results[level]) / 1e6
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {wall / base_wall:.2f} | "
              f"{cpu / base_cpu:.2f} | {mb:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
