"""Time the whole test suite as CI runs it (`make test`: `uv run pytest`, two workers, every test,
slow ones included) on this checkout against a baseline commit, in the same run.

The baseline (default: main) is checked out into a temporary git worktree beside this one, with
its own locked environment (`uv sync --frozen`, not timed, as `make test` syncs before it tests).
Runs alternate between the two checkouts, so a change of the machine's load hits both. For each
run: the wall time of `uv run pytest`, the CPU seconds of its process tree (user + system of
pytest, its workers and every process they waited for, from ``os.wait4``: steadier than wall time
on a shared machine), the 1-minute load average before and after, and pytest's closing line. Then
the medians, this checkout's ratio to the baseline, and pytest's own slowest tests of each
checkout's last run (``--durations``). The issue's target: <= 6 min on an idle 2-core machine.

The machine's own speed drifts: nearly the same code's suite took 608 CPU s one morning and 863 the
same afternoon on the same idle VM, and one build of the sample 9.8 and 14.2 CPU s, with no steal
time or slow disk visible from inside. So before each run the script times a fixed piece of the
suite's main work, a full `dbt parse` of this checkout's project by this checkout's dbt (the same
for both checkouts, ~6-7 CPU s, median of 3), and prints it beside the run with the suite's CPU seconds in those
units: compare runs of different hours by that column, not by wall.

    uv run python benchmarks/suite_time.py                       # one run each, baseline main
    uv run python benchmarks/suite_time.py --baseline main --runs 3 --durations 15
    uv run python benchmarks/suite_time.py -- tests/extract/git   # a part of it, same table

A failing suite is reported, not hidden: its row says so and the script exits 1. Each run's full
output is kept under --work (default: a temporary folder, printed).
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UV = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
#: pytest's closing line, e.g. "==== 360 passed, 3 skipped in 402.11s (0:06:42) ===="
CLOSING = re.compile(r"^=+ (.*\d+ (?:passed|failed|errors?).*) in [\d.]+s.*=+$", re.M)
#: a line of --durations: "123.45s call     tests/demo/test_pipeline.py::test_x"
DURATION = re.compile(r"^(\d+\.\d+)s (setup|call|teardown)\s+(\S+)$", re.M)
#: dbt, which does about half the suite's work, parsing the whole project: a fixed workload
CALIBRATION = [str(Path(sys.executable).parent / "dbt"), "parse", "--no-partial-parse", "--quiet",
               "--project-dir", str(ROOT / "dbt"), "--profiles-dir", str(ROOT / "dbt")]  # fmt: skip


@dataclass
class Run:
    wall: float
    cpu: float
    load_before: float
    load_after: float
    closing: str
    ok: bool
    #: CPU seconds of CALIBRATION just before the run
    calibration: float = 0.0
    durations: list[tuple[float, str, str]] = field(default_factory=list)


def _env() -> dict[str, str]:
    """The machine's environment less this interpreter's virtualenv: `uv run` in each checkout
    uses that checkout's own environment, as `make test` does."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT / ".venv"))
    )
    # The baseline's worktree is not beside ../shared: its tests read the study's data from here.
    study_data = ROOT.parent / "shared" / "data"
    if study_data.is_dir():
        env.setdefault("MMS_STUDY_DATA_DIR", str(study_data))
    return env


def _baseline_checkout(ref: str, work: Path) -> Path:
    checkout = work / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(checkout), ref],
                   check=True, capture_output=True, text=True)  # fmt: skip
    return checkout


def _sync(checkout: Path) -> None:
    """As `make test` syncs: with the bytecode compiled. A baseline synced without it recompiled
    every module in every process where PYTHONDONTWRITEBYTECODE is set (this project's CI
    machines), which made it look slower than it was."""
    env = {**_env(), "UV_COMPILE_BYTECODE": "1"}
    subprocess.run([UV, "sync", "--frozen", "--quiet"], cwd=checkout, env=env, check=True)


def _calibrate(work: Path) -> float:
    """Median CPU seconds of 3 CALIBRATION runs (start-up included), into a target folder of their
    own: one alone varied by 18% between two runs 8 minutes apart."""
    target = work / "calibration-target"
    env = {**_env(), "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}  # fmt: skip
    seconds = []
    for _ in range(3):
        process = subprocess.Popen(
            CALIBRATION, cwd=ROOT / "dbt", env=env, stdout=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"the calibration failed: {' '.join(CALIBRATION)}")
        seconds.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(seconds)


def _run_suite(checkout: Path, log: Path, durations: int, extra: list[str]) -> Run:
    calibration = _calibrate(log.parent)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            [UV, "run", "--frozen", "pytest", f"--durations={durations}", "-p", "no:cacheprovider",
             *extra],
            cwd=checkout, env=_env(), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    text = log.read_text(errors="replace")
    closing = CLOSING.findall(text)
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        load_before=load_before,
        load_after=os.getloadavg()[0],
        closing=closing[-1] if closing else "no closing line (see the log)",
        ok=os.waitstatus_to_exitcode(status) == 0,
        calibration=calibration,
        durations=[(float(s), when, test) for s, when, test in DURATION.findall(text)],
    )


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}m{seconds % 60:04.1f}s"


def _table(runs: dict[str, list[Run]], baseline: str) -> None:
    print(f"\n{'checkout':<22} {'run':>3} {'wall':>10} {'CPU-s':>7} {'load':>11} "
          f"{'calib. s':>8} {'CPU/calib.':>10}  pytest")  # fmt: skip
    for name, done in runs.items():
        for i, run in enumerate(done, 1):
            load = f"{run.load_before:.1f}->{run.load_after:.1f}"
            flag = "" if run.ok else "  FAILED"
            print(f"{name:<22} {i:>3} {_minutes(run.wall):>10} {run.cpu:>7.0f} {load:>11} "
                  f"{run.calibration:>8.2f} {run.cpu / run.calibration:>10.1f}  "
                  f"{run.closing}{flag}")  # fmt: skip
    print(f"\n{'checkout':<22} {'median wall':>12} {'median CPU-s':>13} {'wall ratio':>11} "
          f"{'CPU ratio':>10}")  # fmt: skip
    base_wall = statistics.median(r.wall for r in runs[baseline])
    base_cpu = statistics.median(r.cpu for r in runs[baseline])
    for name, done in runs.items():
        wall = statistics.median(r.wall for r in done)
        cpu = statistics.median(r.cpu for r in done)
        print(f"{name:<22} {_minutes(wall):>12} {cpu:>13.0f} {wall / base_wall:>11.2f} "
              f"{cpu / base_cpu:>10.2f}")  # fmt: skip
    print("target: this checkout <= 6m00s on an idle 2-core machine (load ~0)")


def _slowest(runs: dict[str, list[Run]], count: int) -> None:
    for name, done in runs.items():
        print(f"\nslowest of {name}'s last run (pytest --durations, seconds)")
        for seconds, when, test in sorted(done[-1].durations, reverse=True)[:count]:
            print(f"{seconds:>8.1f}  {when:<8} {test}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git ref to compare with")
    parser.add_argument("--runs", type=int, default=1, help="runs of each checkout")
    parser.add_argument("--durations", type=int, default=15, help="slowest tests to list")
    parser.add_argument("--work", type=Path, help="where to keep the baseline and the logs")
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments (a subset)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="mms-suite-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"logs and the baseline checkout in {work}", flush=True)
    baseline = f"baseline ({args.baseline})"
    checkouts = {baseline: _baseline_checkout(args.baseline, work), "this checkout": ROOT}
    try:
        for checkout in checkouts.values():
            _sync(checkout)
        runs: dict[str, list[Run]] = {name: [] for name in checkouts}
        for i in range(args.runs):
            for name, checkout in checkouts.items():
                log = work / f"{name.split()[0]}-{i + 1}.log"
                print(f"run {i + 1}/{args.runs} of {name} ...", flush=True)
                runs[name].append(_run_suite(checkout, log, args.durations, args.pytest_args))
        _table(runs, baseline)
        _slowest(runs, args.durations)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                        str(checkouts[baseline])], capture_output=True)  # fmt: skip
    return 0 if all(r.ok for done in runs.values() for r in done) else 1


if __name__ == "__main__":
    sys.exit(main())
