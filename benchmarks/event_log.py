"""Time the sample's first run (``python -m demo``, fresh data directory) with the instance's event
log as shipped (``dagster_project/event_log.py``: one kept engine per SQLite file) against Dagster's
own ``SqliteEventLogStorage`` (the same ``dagster.yaml`` without its ``event_log_storage`` key: a
new engine for every read and write), alternated in pairs, and print a table: wall seconds and CPU
seconds (the run and every process it starts: dbt's included), medians and ratios.

Each run's events are counted from its instance afterwards, so the table also says what one event
cost. Runs read Python's bytecode cache, as `make run` does (see benchmarks/second_run.py).

    uv run python benchmarks/event_log.py            # 2 pairs
    uv run python benchmarks/event_log.py --pairs 3
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import yaml

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("Dagster's own", "as shipped")


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    data = home.parent / "data"
    env.update(
        DAGSTER_HOME=str(home),
        MMS_DUCKDB_PATH=str(data / "warehouse.duckdb"),
        MMS_LANDING_DIR=str(data / "landing"),
        MMS_MIRROR_DIR=str(data / "mirrors"),
        MMS_REPORTS_DIR=str(home.parent / "reports"),
    )
    return env


def _home(root: Path, kind: str) -> Path:
    config = yaml.safe_load((ROOT / "dagster_home" / "dagster.yaml").read_text(encoding="utf-8"))
    if kind == KINDS[0]:
        config.pop("event_log_storage")
    home = root / "dagster_home"
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return home


def _events(home: Path) -> int:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return sum(len(instance.all_logs(run.run_id)) for run in instance.get_runs())


def _run(root: Path, kind: str) -> tuple[float, float, int]:
    home = _home(root, kind)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "demo"], cwd=ROOT, env=_environment(home), capture_output=True,
        text=True,
    )  # fmt: skip
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"python -m demo failed ({kind}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, _events(home)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=2)
    args = parser.parse_args()
    subprocess.run(  # the bytecode cache, once, as `make run` has it
        [sys.executable, "-c", "import demo.pipeline, demo.steps, dagster_project.definitions"],
        cwd=ROOT, env=_environment(Path(tempfile.gettempdir()) / "unused"), check=True,
    )  # fmt: skip
    results: dict[str, list[tuple[float, float, int]]] = {kind: [] for kind in KINDS}
    with tempfile.TemporaryDirectory(prefix="mms-event-log-") as work:
        for pair in range(args.pairs):
            for kind in KINDS:
                root = Path(work) / f"{pair}-{KINDS.index(kind)}"
                results[kind].append(_run(root, kind))
                wall, cpu, events = results[kind][-1]
                print(
                    f"pair {pair + 1}, {kind}: {wall:.1f} s wall, {cpu:.1f} CPU s, {events} events"
                )
    base_wall = statistics.median(r[0] for r in results[KINDS[0]])
    base_cpu = statistics.median(r[1] for r in results[KINDS[0]])
    print()
    print("| event log | median wall s | median CPU s | wall ratio | CPU ratio | events |")
    print("|---|---|---|---|---|---|")
    for kind in KINDS:
        wall = statistics.median(r[0] for r in results[kind])
        cpu = statistics.median(r[1] for r in results[kind])
        events = statistics.median(r[2] for r in results[kind])
        print(
            f"| {kind} | {wall:.1f} | {cpu:.1f} | {wall / base_wall:.2f} | {cpu / base_cpu:.2f} "
            f"| {events:.0f} |"
        )
    saved = base_cpu - statistics.median(r[1] for r in results[KINDS[1]])
    events = statistics.median(r[2] for r in results[KINDS[1]])
    print(f"\nCPU saved per stored event: {saved / events * 1000:.1f} ms ({args.pairs} pairs)")


if __name__ == "__main__":
    main()
