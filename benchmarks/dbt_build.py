"""Time `dbt build` on generated study data and print a table.

Measures wall time (median of --runs) and the peak resident memory of the dbt process tree
(sampled every 50 ms with psutil) at the study's scale, against a baseline measured in the same run:
the same build on 1% of the data, which is dbt's fixed cost (parsing, 200 tests, hooks). Also lists
the slowest nodes of the last full-scale run (dbt's run_results.json). Targets: <= 30 s, <= 4 GB.

    uv run python benchmarks/dbt_build.py                 # generates into /tmp/mms-bench if absent
    uv run python benchmarks/dbt_build.py --runs 5 --work-dir /tmp/mms-bench
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]

from demo.study_data import Scale, generate  # noqa: E402

DBT = str(Path(sys.executable).parent / "dbt")


def _landing(work: Path, name: str, scale: Scale) -> Path:
    landing = work / name
    done = landing / ".generated"
    if not done.exists():
        print(f"generating {name} into {landing} ...", flush=True)
        generate(landing, scale)
        done.touch()
    return landing


def _build(landing: Path, warehouse: Path, target: Path) -> tuple[float, int]:
    """One `dbt build` into a fresh warehouse: (seconds, peak RSS bytes of the process tree)."""
    warehouse.unlink(missing_ok=True)
    env = dict(os.environ, MMS_LANDING_DIR=str(landing), MMS_DUCKDB_PATH=str(warehouse))
    args = [DBT, "build", "--project-dir", str(ROOT / "dbt"), "--profiles-dir", str(ROOT / "dbt")]
    args += ["--target-path", str(target), "--log-path", str(target)]
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    parent, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    output = proc.stdout.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"dbt build failed on {landing}:\n{output[-4000:]}")
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/mms-bench"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    cases = {
        "1% of the study (baseline)": _landing(work, "landing-1pct", Scale.fraction(0.01)),
        "study scale": _landing(work, "landing-full", Scale()),
    }
    results = {}
    for name, landing in cases.items():
        target = work / f"target-{landing.name}"
        runs = [_build(landing, work / f"{landing.name}.duckdb", target) for _ in range(args.runs)]
        results[name] = (statistics.median(s for s, _ in runs), max(p for _, p in runs), target)
        print(f"{name}: {[round(s, 1) for s, _ in runs]} s", flush=True)

    base = results["1% of the study (baseline)"][0]
    print()
    # Other processes share the cores: a load above the core count inflates every figure.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end of the runs")
    print(f"{'case':<30}{'median s':>10}{'x baseline':>12}{'peak RSS MB':>13}{'target':>18}")
    for name, (seconds, peak, _) in results.items():
        verdict = "<=30 s, <=4 GB" if seconds <= 30 and peak <= 4 * 2**30 else "MISSED"
        print(
            f"{name:<30}{seconds:>10.1f}{seconds / base:>12.2f}{peak / 2**20:>13.0f}{verdict:>18}"
        )

    run_results = json.loads((results["study scale"][2] / "run_results.json").read_text())
    slowest = sorted(run_results["results"], key=lambda r: -r["execution_time"])[:8]
    print()
    print(f"{'slowest nodes at study scale (last run)':<70}{'s':>8}")
    for node in slowest:
        print(f"{node['unique_id'][:68]:<70}{node['execution_time']:>8.2f}")


if __name__ == "__main__":
    main()
