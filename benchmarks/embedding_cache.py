"""Time `mms-suggest evaluate --message-encoder minilm` with an empty embedding cache, then again
with the cache its first run left (analysis/embedding_cache.py), beside the default suggester
(no encoder) in the same session, each in a new process; print a table of wall and CPU seconds
(the process and its children) and peak memory. Medians of --runs repeats, runs alternated.

It needs labels for commits mined into a landing zone, e.g. the real set (benchmarks/real_labels/,
whose README says how to mine it):

    MMS_LANDING_DIR=/path/to/landing uv run python benchmarks/embedding_cache.py \\
        benchmarks/real_labels/commits.csv --runs 2

The landing zone's own cache folder is moved aside for the run and put back after.
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

MMS_SUGGEST = str(Path(sys.executable).parent / "mms-suggest")


def _run(labels: Path, out: Path, encoder: str, bootstrap: int) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one `mms-suggest evaluate` process (os.wait4: its own)."""
    argv = [MMS_SUGGEST, "evaluate", str(labels), "--out", str(out), "--bootstrap", str(bootstrap),
            "--message-encoder", encoder]  # fmt: skip
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if process.returncode != 0:
            log.seek(0)
            raise SystemExit(f"mms-suggest evaluate failed:\n{log.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", type=Path)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--bootstrap", type=int, default=100)
    args = parser.parse_args()
    landing = Path(os.environ.get("MMS_LANDING_DIR", "data/landing"))
    cache = landing / "cache"
    aside = landing / "cache.benchmark-aside"
    if cache.exists():
        cache.rename(aside)
    results: dict[str, list[tuple[float, float, float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for run in range(args.runs):
                shutil.rmtree(cache, ignore_errors=True)
                for name, encoder in (("encoder, empty cache", "minilm"),
                                      ("encoder, cache of the run before", "minilm"),
                                      ("no encoder (baseline)", "none")):  # fmt: skip
                    out = Path(tmp) / f"{run}-{encoder}-{len(results.get(name, []))}"
                    results.setdefault(name, []).append(
                        _run(args.labels, out, encoder, args.bootstrap)
                    )
                    print(f"run {run + 1}: {name}: {results[name][-1][0]:.1f} s", file=sys.stderr)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        if aside.exists():
            aside.rename(cache)
    baseline = statistics.median(r[0] for r in results["no encoder (baseline)"])
    print(
        f"{'mms-suggest evaluate':34} | wall s (median) | CPU s (median) | peak RSS MB | wall / baseline"
    )
    print("-" * 35 + "+" + "-" * 17 + "+" + "-" * 16 + "+" + "-" * 13 + "+" + "-" * 16)
    for name, rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        rss = max(r[2] for r in rows)
        print(f"{name:34} | {wall:15.1f} | {cpu:14.1f} | {rss:11.0f} | {wall / baseline:14.2f}")


if __name__ == "__main__":
    main()
