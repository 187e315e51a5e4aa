"""What a warehouse's first build costs in dbt parsing: `mms-warehouse build` into a new warehouse
folder (nothing built there before) of this checkout against a baseline commit's, alternated, and
print a table: median wall seconds and median CPU seconds (user + system of the build and its dbt).

dbt's profile holds the build file's path, and dbt parses the whole project again for a saved parse
made under another profile; the sources and the staging models read the landing directory when
they are parsed, and dbt parses them and what they feed again for another one. Builds give dbt
both relative to the builds folder it runs dbt in (since c9b7dcc the build file, since this
benchmark's second use the landing directory too), so a first build starts from the parse the
Dagster definitions keep in dbt/target/dagster. Here that parse is made for another warehouse
and, with --other-landing, another landing zone (as when a second data folder is built, or in the
test suite). The baseline is checked out into a git worktree and run from it (its packages first on
PYTHONPATH, this environment's libraries).

    uv run python benchmarks/first_build_parse.py --baseline dcde537 --pairs 5 --other-landing
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from measure import run_measured  # noqa: E402

from demo.study_data import Scale, generate  # noqa: E402

SMALL = Scale(
    selected_projects=6, excluded_by_inspection=2, failing_candidates=5, commits=2_500, issues=900
)
BUILD = "import sys\nfrom warehouse.cli import main\nsys.exit(main(['build']))\n"
PARSE = (
    "from dagster_project.defs.warehouse.dbt import dbt_project\n"
    "print(dbt_project().manifest_path)\n"
)


def _env(checkout: Path, work: Path, warehouse: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(checkout), "MMS_PROJECT_DIR": str(checkout),
            "MMS_LANDING_DIR": str(work / "landing"), "MMS_DUCKDB_PATH": str(warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}  # fmt: skip


def _run(code: str, env: dict[str, str], log: Path) -> tuple[float, float]:
    """One Python process running ``code`` in its checkout (``python -c`` puts the working folder
    first on sys.path): wall s, CPU s of it and the processes it waited for."""
    wall, cpu, code_ = run_measured([sys.executable, "-c", code], env, log, env["PYTHONPATH"])
    if code_ != 0:
        sys.exit(f"{code!r} failed ({log}):\n{log.read_text()[-3000:]}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/mms-bench-first-build"))
    parser.add_argument("--other-landing", action="store_true",
                        help="make the definitions' parse for another landing zone too")  # fmt: skip
    args = parser.parse_args()
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "landing" / ".generated").exists():
        print(f"generating the small study into {work / 'landing'} ...", flush=True)
        generate(work / "landing", SMALL, seed=11)
        (work / "landing" / ".generated").touch()
    baseline = work / "baseline"
    if baseline.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)],
                       check=False, capture_output=True)  # fmt: skip
        shutil.rmtree(baseline, ignore_errors=True)
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline),
                    args.baseline], check=True, capture_output=True)  # fmt: skip
    checkouts = {f"baseline ({args.baseline})": baseline, "this checkout": ROOT}
    try:
        for checkout in checkouts.values():
            # the definitions' parse, made for another warehouse than any measured below
            shutil.rmtree(checkout / "dbt" / "target" / "dagster", ignore_errors=True)
            other = work / "definitions" / "warehouse.duckdb"
            env = _env(checkout, work, other)
            if args.other_landing:
                env["MMS_LANDING_DIR"] = str(other.parent / "landing")
            _run(PARSE, env, work / "parse.log")
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
        for pair in range(args.pairs):
            for name, checkout in checkouts.items():
                folder = work / "warehouses" / f"{pair}-{name.split()[0]}"
                shutil.rmtree(folder, ignore_errors=True)
                env = _env(checkout, work, folder / "warehouse.duckdb")
                results[name].append(_run(BUILD, env, work / "build.log"))
        base = [statistics.median(r[i] for r in results[next(iter(checkouts))]) for i in range(2)]
        print("| a new warehouse's first build | median wall s | median CPU s | wall ratio | "
              "CPU ratio |\n|---|---|---|---|---|")  # fmt: skip
        for name, done in results.items():
            wall, cpu = (statistics.median(r[i] for r in done) for i in range(2))
            print(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / base[0]:.2f} | "
                  f"{cpu / base[1]:.2f} |", flush=True)  # fmt: skip
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)],
                       check=False, capture_output=True)  # fmt: skip


if __name__ == "__main__":
    main()
