"""How many nodes dbt should run at once (`MMS_DBT_THREADS`, dbt/profiles.yml): `dbt build` of a
generated study with 2 threads (the shipped default, the baseline) and with 1, alternated, and print
a table: median wall seconds, median CPU seconds (user + system of the dbt process), peak RSS.

Two generated studies: the test suite's small one (2,500 commits, what most test builds look like)
and the full one at the study's scale (demo.study_data.Scale(): 227 selected projects, 660,000
commits, 377,000 issues). Each build writes an empty warehouse file and starts from a saved parse
of its own configuration (a warm-up build per thread count first); unit tests are left out, as
`mms-warehouse build` leaves them out.

    uv run python benchmarks/dbt_threads.py --pairs 3                 # both studies
    uv run python benchmarks/dbt_threads.py --pairs 3 --scale small   # seconds, not minutes
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from demo.study_data import Scale, generate  # noqa: E402

DBT = str(Path(sys.executable).parent / "dbt")
SCALES = {
    "small": Scale(
        selected_projects=6,
        excluded_by_inspection=2,
        failing_candidates=5,
        commits=2_500,
        issues=900,
    ),
    "full": Scale(),
}


def _landing(work: Path, name: str) -> Path:
    landing = work / f"landing-{name}"
    if not (landing / ".generated").exists():
        print(f"generating the {name} study into {landing} ...", flush=True)
        generate(landing, SCALES[name], seed=11)
        (landing / ".generated").touch()
    return landing


def _build(landing: Path, work: Path, threads: int) -> tuple[float, float, float]:
    """One `dbt build` into an empty file: wall s, CPU s, peak RSS MB of the dbt process."""
    warehouse = work / f"threads-{threads}.duckdb"
    warehouse.unlink(missing_ok=True)
    target = work / f"target-{landing.name}-{threads}"  # its own saved parse per configuration
    env = {**os.environ, "MMS_LANDING_DIR": str(landing), "MMS_DBT_BUILD_PATH": str(warehouse),
           "MMS_DBT_THREADS": str(threads), "DBT_TARGET_PATH": str(target),
           "DBT_LOG_PATH": str(target), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}  # fmt: skip
    log = work / "dbt-output.log"
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            [DBT, "build", "--exclude-resource-type", "unit_test",
             "--project-dir", str(ROOT / "dbt"), "--profiles-dir", str(ROOT / "dbt")],
            cwd=ROOT / "dbt", env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"dbt build failed with {threads} thread(s):\n{log.read_text()[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--scale", choices=[*SCALES, "both"], default="both")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/mms-bench-threads"))
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    names = list(SCALES) if args.scale == "both" else [args.scale]
    print("| generated study | dbt threads | median wall s | median CPU s | peak RSS MB "
          "| wall ratio | CPU ratio |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name in names:
        landing = _landing(args.work_dir, name)
        results: dict[int, list[tuple[float, float, float]]] = {2: [], 1: []}
        for threads in results:  # warm-up: each configuration's saved parse
            _build(landing, args.work_dir, threads)
        for _ in range(args.pairs):
            for threads, done in results.items():
                done.append(_build(landing, args.work_dir, threads))
        base = [statistics.median(r[i] for r in results[2]) for i in range(3)]
        for threads, done in results.items():
            wall, cpu, rss = (statistics.median(r[i] for r in done) for i in range(3))
            label = f"{threads} (shipped, baseline)" if threads == 2 else str(threads)
            print(f"| {name} | {label} | {wall:.2f} | {cpu:.2f} | {rss:,.0f} | "
                  f"{wall / base[0]:.2f} | {cpu / base[1]:.2f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
