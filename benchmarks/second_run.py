"""Time `make run` (``python -m demo``) twice in a fresh data directory and print a table: the first
run (everything built) is the baseline, the second (nothing new: every step should say
``unchanged (why)``) is measured against it in the same pair. Target: second <= 10% of the first.

Per step, the seconds each ``[sample]`` line reports (a step that runs several times, like
``build_warehouse`` or one ``refresh_repository`` per repository, is summed); ``total`` is the
whole process's wall time, its start-up (imports, the sample repositories, the stand-in) included.
With --pairs N, each figure is the median of N pairs, each in its own fresh directory.

Both runs read Python's bytecode cache, as `make run` does (the Makefile installs the environment
with its bytecode compiled, ``UV_COMPILE_BYTECODE``): the children run without
``PYTHONDONTWRITEBYTECODE`` and one process imports the definitions before the first pair (with the
variable set and no compiled environment, every process compiles dagster, dbt and scikit-learn
from source: about 30 s of a second run under load, which says nothing about this project).

    uv run python benchmarks/second_run.py              # one pair
    uv run python benchmarks/second_run.py --pairs 3
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: "[sample] 5/7 build_warehouse: unchanged (...), 0.4s" -> job name and seconds
STEP_LINE = re.compile(r"^\[sample\] [\d/]+ (?:\[\d+/\d+\] \S+ )?(\w+): .*, ([\d.]+)s$")


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _warm_bytecode_cache() -> None:
    modules = [f"dagster_project.defs.{m}.assets" for m in ("git", "github", "reports")]
    code = f"import demo.pipeline, demo.steps, {', '.join(modules)}"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_environment(), check=True)


def _run(root: Path) -> tuple[float, dict[str, float], str]:
    env = _environment()
    env.update(
        DAGSTER_HOME=str(root / "dagster_home"),
        MMS_DUCKDB_PATH=str(root / "data" / "warehouse.duckdb"),
        MMS_LANDING_DIR=str(root / "data" / "landing"),
        MMS_MIRROR_DIR=str(root / "data" / "mirrors"),
        MMS_REPORTS_DIR=str(root / "reports"),
    )
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "demo"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    wall = time.monotonic() - began
    if done.returncode != 0:
        sys.exit(f"python -m demo failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr}")
    steps: dict[str, float] = defaultdict(float)
    for line in done.stdout.splitlines():
        match = STEP_LINE.match(line)
        if match:
            steps[match.group(1)] += float(match.group(2))
    return wall, dict(steps), done.stdout


def _pair(work: Path, index: int, show: bool) -> tuple[dict[str, float], dict[str, float]]:
    root = work / f"pair-{index}"
    (root / "dagster_home").mkdir(parents=True)
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", root / "dagster_home")
    first_wall, first, _ = _run(root)
    second_wall, second, output = _run(root)
    if show:
        print(output, flush=True)
    print(f"pair {index}: first {first_wall:.1f} s, second {second_wall:.1f} s", flush=True)
    return {**first, "total": first_wall}, {**second, "total": second_wall}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1, help="pairs of runs (median reported)")
    parser.add_argument("--show", action="store_true", help="print each second run's output")
    args = parser.parse_args(argv)
    _warm_bytecode_cache()
    firsts, seconds = [], []
    with tempfile.TemporaryDirectory(prefix="mms-second-run-") as work:
        for index in range(1, args.pairs + 1):
            first, second = _pair(Path(work), index, args.show)
            firsts.append(first)
            seconds.append(second)
    names = list(dict.fromkeys(name for run in firsts for name in run))
    names.remove("total")
    print(f"\n`make run` twice in a fresh data directory, median of {args.pairs} pair(s)")
    print(f"{'step':<22} {'first s':>9} {'second s':>9} {'ratio':>7}")
    for name in [*names, "total"]:
        first = statistics.median(run.get(name, 0.0) for run in firsts)
        second = statistics.median(run.get(name, 0.0) for run in seconds)
        ratio = f"{second / first:.2f}" if first else "-"
        print(f"{name:<22} {first:>9.1f} {second:>9.1f} {ratio:>7}")
    total = [s["total"] / f["total"] for f, s in zip(firsts, seconds, strict=True)]
    print(f"\nsecond / first, whole run: median {statistics.median(total):.3f} (target <= 0.10)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
