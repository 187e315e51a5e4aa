"""Time the warehouse build (`mms-warehouse build`: dbt build on a private copy, then publish) on
generated study data and print a table.

For each scale, two builds: a first build into an empty warehouse (every table built), and a
refresh with nothing new (the published warehouse copied, incremental staging reads no landing file,
the rest rebuilt). Measures wall time (median of --runs), the peak resident memory of the process
tree (sampled every 50 ms with psutil), the published file's size and the peak disk the warehouse
files take while a build runs (published + build copy), against a baseline measured in the same
run: the first build on 1% of the data, which is dbt's fixed cost (parsing, ~300 tests, hooks). Also
lists the slowest nodes of the last study-scale build (dbt's run_results.json). Targets: <= 30 s,
<= 4 GB.

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


def _disk(directory: Path) -> int:
    """Bytes of the warehouse files under ``directory``, each inode once (snapshots are links)."""
    seen, total = set(), 0
    for path in directory.rglob("*.duckdb*"):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if path.is_file() and stat.st_ino not in seen:
            seen.add(stat.st_ino)
            total += stat.st_size
    return total


def _build(landing: Path, directory: Path, *, fresh: bool) -> tuple[float, int, int, int]:
    """One `mms-warehouse build`: (seconds, peak RSS of the process tree, published size, peak
    disk of the warehouse files)."""
    if fresh and directory.exists():
        for path in sorted(directory.rglob("*"), reverse=True):
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
    directory.mkdir(parents=True, exist_ok=True)
    warehouse = directory / "warehouse.duckdb"
    env = dict(os.environ, MMS_LANDING_DIR=str(landing), MMS_DUCKDB_PATH=str(warehouse))
    args = [str(Path(sys.executable).parent / "mms-warehouse"), "build"]
    log = directory / "build.log"
    started = time.perf_counter()
    # dbt's output goes to a file: a pipe read only at the end would fill and stall the build.
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        parent, peak, disk = psutil.Process(proc.pid), 0, 0
        while proc.poll() is None:
            try:
                tree = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            disk = max(disk, _disk(directory))
            time.sleep(0.05)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        output = log.read_text(errors="replace")
        raise SystemExit(f"the build failed on {landing}:\n{output[-4000:]}")
    return seconds, peak, warehouse.stat().st_size, max(disk, _disk(directory))


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
        directory = work / f"warehouse-{landing.name}"
        for kind, fresh in (("first build", True), ("refresh, nothing new", False)):
            runs = []
            # A refresh continues from the warehouse the first builds left published.
            for _ in range(args.runs):
                runs.append(_build(landing, directory, fresh=fresh))
            results[f"{name}: {kind}"] = (
                statistics.median(r[0] for r in runs),
                max(r[1] for r in runs),
                max(r[2] for r in runs),
                max(r[3] for r in runs),
            )
            print(f"{name}, {kind}: {[round(r[0], 1) for r in runs]} s", flush=True)

    base = results["1% of the study (baseline): first build"][0]
    print()
    # Other processes share the cores: a load above the core count inflates every figure.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end of the runs")
    header = f"{'case':<52}{'median s':>10}{'x baseline':>12}{'peak RSS MB':>13}"
    print(header + f"{'warehouse MB':>14}{'peak disk MB':>14}{'target':>16}")
    for name, (seconds, peak, size, disk) in results.items():
        verdict = "<=30 s, <=4 GB" if seconds <= 30 and peak <= 4 * 2**30 else "MISSED"
        print(
            f"{name:<52}{seconds:>10.1f}{seconds / base:>12.2f}{peak / 2**20:>13.0f}"
            f"{size / 2**20:>14.0f}{disk / 2**20:>14.0f}{verdict:>16}"
        )

    # `mms-warehouse build` runs dbt with the project's own target folder.
    run_results_path = ROOT / "dbt" / "target" / "run_results.json"
    if run_results_path.exists():
        run_results = json.loads(run_results_path.read_text())
        slowest = sorted(run_results["results"], key=lambda r: -r["execution_time"])[:8]
        print()
        print(f"{'slowest nodes of the last build (study scale, refresh)':<70}{'s':>8}")
        for node in slowest:
            print(f"{node['unique_id'][:68]:<70}{node['execution_time']:>8.2f}")


if __name__ == "__main__":
    main()
